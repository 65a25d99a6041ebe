import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb } from "../../shared/db/client.ts";
import type { Order } from "../../shared/schemas/orders.ts";
import type { WebhookEvent } from "../../shared/schemas/payments.ts";
import { findPans } from "../../shared/pan.ts";
import { signWebhook } from "../../workers/payments/src/webhook-signature.ts";
import { addToCart, adminToken, api, checkout, checkoutBody, customer, eventually, problem, product, uid, type Customer } from "./orders-support.ts";
import { sentryEvents, waitForEvent } from "./sentry-support.ts";

const SECRET = "whsec_local";
const usd = (amount: number) => ({ amount, currency: "USD" });
const now = () => Math.floor(Date.now() / 1000);
const payments = () => (env as unknown as { PAYMENTS: GatewayEnv["PAYMENTS"] }).PAYMENTS;

/**
 * Concurrent Postgres traffic runs on real PostgreSQL only: PGlite is one
 * session behind pglite-socket, which interleaves the protocol messages of
 * concurrent connections, so concurrency there tests the harness, not this code.
 */
// Real concurrency against the database (on PGlite the local proxy serialises sessions).
const concurrently = it;

let admin = "";
beforeAll(async () => {
  admin = await adminToken();
});
// Background work (waitUntil copies, outbox, idle pools ending) logs after the last
// test; letting it settle keeps vitest from tearing the file down mid-log.
afterAll(() => new Promise((resolve) => setTimeout(resolve, 1_500)));

/** A paid order through the public API. */
async function paidOrder(c: Customer, token = "tok_visa"): Promise<Order> {
  const [v] = await product(admin, [5]);
  await addToCart(c.token, v!.sku, 2);
  const res = await checkout(c.token, checkoutBody(token));
  expect(res.status).toBe(201);
  return res.body;
}

/** A payment authorized directly through the payments Worker (no order behind it). */
async function authorized(token = "tok_visa", amount = 1500) {
  const input = { paymentId: `pay_${uid()}`, orderId: `ord_${uid()}`, userId: `usr_${uid()}`, amount: usd(amount), token };
  return { input, res: await payments().authorize(input) };
}

async function withDb<T>(fn: (db: ReturnType<typeof openDb>["db"]) => Promise<T>): Promise<T> {
  const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
  try {
    return await fn(db);
  } finally {
    await pool.end();
  }
}

function event(paymentId: string, orderId: string, type: WebhookEvent["type"], amount = 1500, id = `evt_${uid()}`): string {
  const status = type === "payment.captured" ? "captured" : type === "payment.refunded" ? "refunded" : "failed";
  return JSON.stringify({ id, type, data: { paymentId, orderId, status, amount: usd(amount) } });
}

async function deliver(rawBody: string, signature?: string | null) {
  const sig = signature === undefined ? await signWebhook(SECRET, rawBody, now()) : signature;
  return api("POST", "/v1/webhooks/payments", { rawBody, headers: sig === null ? {} : { "edgeshop-signature": sig } });
}

describe("GET /v1/orders/{id}/payments", () => {
  it("lists the order's captured payment for its owner and for an admin", async () => {
    const c = await customer();
    const order = await paidOrder(c);
    const expected = { items: [{ id: order.payment.id, status: "captured", amount: order.total, provider: "test", createdAt: expect.any(String) }] };
    await eventually(async () => {
      const res = await api("GET", `/v1/orders/${order.id}/payments`, { token: c.token });
      expect(res.status).toBe(200);
      expect(res.body).toStrictEqual(expected);
    });
    const asAdmin = await api("GET", `/v1/orders/${order.id}/payments`, { token: admin });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body).toStrictEqual(expected);
  });

  it("shows the refund after a cancel", async () => {
    const c = await customer();
    const order = await paidOrder(c, "tok_mastercard");
    expect((await api("POST", `/v1/orders/${order.id}/cancel`, { token: c.token })).status).toBe(200);
    await eventually(async () => {
      const res = await api<{ items: { status: string }[] }>("GET", `/v1/orders/${order.id}/payments`, { token: c.token });
      expect(res.body.items.map((p) => p.status)).toStrictEqual(["refunded"]);
    });
  });

  it("is 404 for another customer's order and for an unknown order, 401 without a token", async () => {
    const [owner, other] = await Promise.all([customer(), customer()]);
    const order = await paidOrder(owner);
    const theirs = await api("GET", `/v1/orders/${order.id}/payments`, { token: other.token });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toStrictEqual(problem(404, "NOT_FOUND"));
    const missing = await api("GET", `/v1/orders/ord_${uid()}/payments`, { token: owner.token });
    expect(missing.status).toBe(404);
    expect(missing.body).toStrictEqual(problem(404, "NOT_FOUND"));
    const anonymous = await api("GET", `/v1/orders/${order.id}/payments`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toStrictEqual(problem(401, "UNAUTHENTICATED"));
  });
});

describe("PaymentsService (RPC)", () => {
  it("authorize is idempotent by paymentId, even ten at once: one provider call", async () => {
    const { input, res } = await authorized();
    expect(res).toStrictEqual({
      ok: true,
      value: { id: input.paymentId, orderId: input.orderId, userId: input.userId, status: "authorized", amount: usd(1500), provider: "test", last4: "4242", createdAt: expect.any(String) },
    });
    const again = await Promise.all(Array.from({ length: 10 }, () => payments().authorize(input)));
    for (const a of again) expect(a).toStrictEqual(res);
    expect(await payments().providerCalls(input.paymentId)).toStrictEqual([{ op: "authorize", outcome: "ok" }]);
  });

  it("ten concurrent captures capture once; refund twice refunds once; void after capture is 409", async () => {
    const { input } = await authorized("tok_mastercard");
    const captures = await Promise.all(Array.from({ length: 10 }, () => payments().capture(input.paymentId)));
    for (const c of captures) expect(c).toMatchObject({ ok: true, value: { status: "captured", last4: "4444" } });
    expect(await payments().voidAuthorization(input.paymentId)).toMatchObject({ ok: false, error: { code: "CONFLICT" } });
    const refunds = await Promise.all([payments().refund(input.paymentId), payments().refund(input.paymentId)]);
    for (const r of refunds) expect(r).toMatchObject({ ok: true, value: { status: "refunded" } });
    // A capture retried after a refund (its first answer lost, the provider refunding meanwhile) must not read as paid.
    expect(await payments().capture(input.paymentId)).toMatchObject({ ok: false, error: { code: "CONFLICT", detail: "The payment is refunded and cannot be captured." } });
    expect((await payments().providerCalls(input.paymentId)).map((c) => c.op)).toStrictEqual(["authorize", "capture", "refund"]);
    await eventually(async () => expect((await payments().listForOrder(input.orderId)).map((p) => p.status)).toStrictEqual(["refunded"]));
  });

  it("authorized -> voided, once", async () => {
    const { input } = await authorized();
    const voids = await Promise.all([payments().voidAuthorization(input.paymentId), payments().voidAuthorization(input.paymentId)]);
    for (const v of voids) expect(v).toMatchObject({ ok: true, value: { status: "voided" } });
    expect(await payments().capture(input.paymentId)).toMatchObject({ ok: false, error: { code: "CONFLICT" } });
    expect((await payments().providerCalls(input.paymentId)).map((c) => c.op)).toStrictEqual(["authorize", "void"]);
  });

  it.each([
    ["tok_chargeDeclined", "PAYMENT_DECLINED"],
    ["tok_insufficientFunds", "PAYMENT_DECLINED"],
    ["tok_processingError", "PAYMENT_PROVIDER_ERROR"],
    ["tok_neverHeardOfIt", "PAYMENT_DECLINED"],
  ])("%s -> %s, recorded as a failed payment", async (token, code) => {
    const { input, res } = await authorized(token);
    expect(res).toMatchObject({ ok: false, error: { code } });
    if (token === "tok_neverHeardOfIt" && !res.ok) expect(res.error.detail).toContain("unknown");
    expect(await payments().authorize(input)).toStrictEqual(res);
    expect(await payments().voidAuthorization(input.paymentId)).toMatchObject({ ok: true, value: { status: "failed" } });
    await eventually(async () => expect((await payments().listForOrder(input.orderId)).map((p) => p.status)).toStrictEqual(["failed"]));
  });

  it("capture/void/refund of an unknown payment is NOT_FOUND", async () => {
    const id = `pay_${uid()}`;
    for (const r of [await payments().capture(id), await payments().voidAuthorization(id), await payments().refund(id)]) {
      expect(r).toStrictEqual({ ok: false, error: { code: "NOT_FOUND", detail: "Payment not found." } });
    }
  });

  it("a void that overtakes its authorize (saga compensation racing a slow call) prevents the authorization", async () => {
    const input = { paymentId: `pay_${uid()}`, orderId: `ord_${uid()}`, userId: `usr_${uid()}`, amount: usd(700), token: "tok_visa" };
    expect(await payments().voidAuthorization(input.paymentId)).toStrictEqual({ ok: false, error: { code: "NOT_FOUND", detail: "Payment not found." } });
    expect(await payments().authorize(input)).toStrictEqual({ ok: false, error: { code: "CONFLICT", detail: "This payment was voided before it was authorized." } });
    expect(await payments().providerCalls(input.paymentId)).toStrictEqual([]);
  });

  it("lists an order's payments oldest first", async () => {
    const orderId = `ord_${uid()}`;
    const base = { orderId, userId: `usr_${uid()}`, amount: usd(900) };
    const first = await payments().authorize({ ...base, paymentId: `pay_${uid()}`, token: "tok_chargeDeclined" });
    await new Promise((r) => setTimeout(r, 5));
    const second = await payments().authorize({ ...base, paymentId: `pay_${uid()}`, token: "tok_visa" });
    expect(second.ok).toBe(true);
    await eventually(async () => {
      const list = await payments().listForOrder(orderId);
      expect(list.map((p) => p.status)).toStrictEqual(["failed", "authorized"]);
      expect(list[1]).toStrictEqual(second.ok ? second.value : null);
    });
    expect(first.ok).toBe(false);
  });
});

describe("POST /v1/webhooks/payments", () => {
  it("applies a signed event and answers 200 {received: true}", async () => {
    const { input } = await authorized();
    const res = await deliver(event(input.paymentId, input.orderId, "payment.captured"));
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ received: true });
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "captured" });
    await eventually(async () => expect((await payments().listForOrder(input.orderId)).map((p) => p.status)).toStrictEqual(["captured"]));
    // A webhook is news from the provider: it never calls the provider back.
    expect((await payments().providerCalls(input.paymentId)).map((c) => c.op)).toStrictEqual(["authorize"]);
  });

  it("acknowledges an event it can not apply, and reports it: an error when the provider moved money the payment's status does not allow", async () => {
    const { input: failedOne } = await authorized("tok_chargeDeclined");
    expect(await payments().getPayment(failedOne.paymentId)).toMatchObject({ status: "failed" });
    const capturedAnyway = event(failedOne.paymentId, failedOne.orderId, "payment.captured");
    const { input: paid } = await authorized();
    await payments().capture(paid.paymentId);
    const partialRefund = event(paid.paymentId, paid.orderId, "payment.refunded", 100);
    // Not news: a refund edgeshop made, which the provider then confirms.
    const { input: refunded } = await authorized();
    await payments().capture(refunded.paymentId);
    await payments().refund(refunded.paymentId);
    const confirmed = event(refunded.paymentId, refunded.orderId, "payment.refunded");
    // A refund that says the payment is captured contradicts itself: not applied, an error.
    const contradictory = JSON.stringify({ ...JSON.parse(event(paid.paymentId, paid.orderId, "payment.refunded")), data: { paymentId: paid.paymentId, orderId: paid.orderId, status: "captured", amount: usd(1500) } });
    for (const body of [confirmed, capturedAnyway, partialRefund, contradictory]) expect(await deliver(body)).toMatchObject({ status: 200, body: { received: true } });
    const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;
    const error = await waitForEvent((e) => e.tags?.webhookEventId === idOf(capturedAnyway));
    expect(error).toMatchObject({ level: "error", message: "payment webhook not applied: payment.captured for a payment that is failed", tags: { paymentId: failedOne.paymentId } });
    const warning = await waitForEvent((e) => e.tags?.webhookEventId === idOf(partialRefund));
    expect(warning).toMatchObject({ level: "warning", message: "payment webhook matches no payment" });
    const selfContradicting = await waitForEvent((e) => e.tags?.webhookEventId === idOf(contradictory));
    expect(selfContradicting).toMatchObject({ level: "error", message: "payment webhook not applied: payment.refunded with status captured" });
    expect((await sentryEvents()).filter((e) => e.tags?.webhookEventId === idOf(confirmed))).toStrictEqual([]);
    // Nothing changed: the provider's word is reported, not applied.
    expect(await payments().getPayment(failedOne.paymentId)).toMatchObject({ status: "failed" });
    expect(await payments().getPayment(paid.paymentId)).toMatchObject({ status: "captured" });
  });

  it("a redelivered event is acknowledged again and not applied twice", async () => {
    const { input } = await authorized();
    const body = event(input.paymentId, input.orderId, "payment.captured");
    const first = await payments().handleWebhook(body, await signWebhook(SECRET, body, now()));
    const again = await payments().handleWebhook(body, await signWebhook(SECRET, body, now()));
    expect([first, again]).toStrictEqual([{ ok: true, value: { received: true, duplicate: false } }, { ok: true, value: { received: true, duplicate: true } }]);
    const res = await deliver(body);
    expect([res.status, res.body]).toStrictEqual([200, { received: true }]);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "captured" });
  });

  concurrently("a redelivered event, even ten at once, is acknowledged every time and applied once", async () => {
    const { input } = await authorized();
    await payments().capture(input.paymentId);
    const body = event(input.paymentId, input.orderId, "payment.refunded");
    const all = await Promise.all(Array.from({ length: 10 }, () => deliver(body)));
    for (const r of all) expect([r.status, r.body]).toStrictEqual([200, { received: true }]);
    const evtId = (JSON.parse(body) as { id: string }).id;
    const rows = await withDb((db) => db.execute(sql`select id from payment_webhook_events where id = ${evtId}`));
    expect(rows.rows).toHaveLength(1);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "refunded" });
  });

  it("a refund event redelivered after the payment was refunded still names the order to end (an earlier delivery may have failed before telling it)", async () => {
    const { input } = await authorized();
    await payments().capture(input.paymentId);
    // As when the first delivery refunded the PaymentDO and then failed (its Postgres transaction rolled back): the payment is refunded, the event unrecorded.
    await payments().refund(input.paymentId);
    const body = event(input.paymentId, input.orderId, "payment.refunded");
    expect(await payments().handleWebhook(body, await signWebhook(SECRET, body, now()))).toStrictEqual({
      ok: true,
      value: { received: true, duplicate: false, refunded: { orderId: input.orderId, paymentId: input.paymentId } },
    });
  });

  it("cancels a paid order whose payment the provider refunded in full, returning its stock, before the webhook is acknowledged", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 2);
    const order = (await checkout(c.token)).body;
    expect(order.status).toBe("paid");
    const shipment = await eventually(async () => {
      const res = await api<{ id: string }>("GET", `/v1/orders/${order.id}/shipment`, { token: c.token });
      expect(res.status).toBe(200);
      return res.body;
    });
    const body = event(order.payment.id, order.id, "payment.refunded", order.total.amount);
    expect((await deliver(body)).status).toBe(200);
    // No wait: from the acknowledgement on, the order reads cancelled and its parcel can no longer leave.
    const now = await api<Order>("GET", `/v1/orders/${order.id}`, { token: c.token });
    expect(now.body).toMatchObject({ status: "cancelled", payment: { status: "refunded" } });
    expect((await api<{ status: string }>("GET", `/v1/orders/${order.id}/shipment`, { token: c.token })).body.status).toBe("cancelled");
    expect((await api("POST", `/v1/shipments/${shipment.id}/events`, { token: admin, body: { status: "in_transit" } })).status).toBe(409);
    expect((await api("GET", `/v1/inventory/${v!.sku}`, { token: admin })).body).toStrictEqual({ sku: v!.sku, onHand: 5, reserved: 0, available: 5 });
    // The refund happened at the provider: the cancel did not ask it for a second one.
    expect((await payments().providerCalls(order.payment.id)).filter((call) => call.op === "refund")).toStrictEqual([]);
  });

  it("keeps a shipped order shipped when the provider refunds its payment, and shows the payment refunded everywhere", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 1);
    const order = (await checkout(c.token)).body;
    const shipment = await eventually(async () => {
      const res = await api<{ id: string }>("GET", `/v1/orders/${order.id}/shipment`, { token: c.token });
      expect(res.status).toBe(200);
      return res.body;
    });
    expect((await api("POST", `/v1/shipments/${shipment.id}/events`, { token: admin, body: { status: "in_transit" } })).status).toBe(200);
    expect((await deliver(event(order.payment.id, order.id, "payment.refunded", order.total.amount))).status).toBe(200);
    await eventually(async () => {
      expect((await api<Order>("GET", `/v1/orders/${order.id}`, { token: c.token })).body).toMatchObject({ status: "shipped", payment: { id: order.payment.id, status: "refunded" } });
      expect((await api<{ items: Order[] }>("GET", "/v1/orders", { token: c.token })).body.items).toMatchObject([{ id: order.id, status: "shipped", payment: { status: "refunded" } }]);
    }, 15_000);
    expect((await api<{ items: { status: string }[] }>("GET", `/v1/orders/${order.id}/payments`, { token: c.token })).body.items.map((p) => p.status)).toStrictEqual(["refunded"]);
    // Nothing was restocked: the goods left with the parcel.
    expect((await api("GET", `/v1/inventory/${v!.sku}`, { token: admin })).body).toStrictEqual({ sku: v!.sku, onHand: 4, reserved: 0, available: 4 });
  });

  concurrently("exactly one of ten concurrent deliveries applies the event (RPC view)", async () => {
    const { input } = await authorized();
    const body = event(input.paymentId, input.orderId, "payment.failed");
    const sig = await signWebhook(SECRET, body, now());
    const results = await Promise.all(Array.from({ length: 10 }, () => payments().handleWebhook(body, sig)));
    const applied = results.filter((r) => r.ok && !r.value.duplicate);
    expect(applied).toHaveLength(1);
    expect(results.filter((r) => r.ok && r.value.duplicate)).toHaveLength(9);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "failed" });
  });

  it("acknowledges an event for an unknown payment without changing anything", async () => {
    const res = await deliver(event(`pay_${uid()}`, `ord_${uid()}`, "payment.captured"));
    expect([res.status, res.body]).toStrictEqual([200, { received: true }]);
  });

  it("refuses missing, malformed, stale, future, tampered and wrongly keyed signatures with 400 INVALID_SIGNATURE", async () => {
    const { input } = await authorized();
    const body = event(input.paymentId, input.orderId, "payment.captured");
    const cases = [
      null,
      "",
      "garbage",
      `t=${now()}`,
      await signWebhook(SECRET, body, now() - 310),
      await signWebhook(SECRET, body, now() + 310),
      await signWebhook(SECRET, `${body} `, now()),
      await signWebhook("whsec_wrong", body, now()),
    ];
    for (const sig of cases) {
      const res = await deliver(body, sig);
      expect([res.status, res.body]).toStrictEqual([400, problem(400, "INVALID_SIGNATURE")]);
    }
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "authorized" });
  });

  it("verifies the signature over every byte sent, a leading byte-order mark included", async () => {
    const { input } = await authorized();
    const withBom = `\uFEFF${event(input.paymentId, input.orderId, "payment.captured")}`;
    // Signed without the mark it carries: the bytes sent are not the bytes signed.
    const unsigned = await deliver(withBom, await signWebhook(SECRET, withBom.slice(1), now()));
    expect([unsigned.status, unsigned.body]).toStrictEqual([400, problem(400, "INVALID_SIGNATURE")]);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "authorized" });
    // Signed with it: applied, the mark ignored when the JSON is read.
    const signed = await deliver(withBom);
    expect([signed.status, signed.body]).toStrictEqual([200, { received: true }]);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "captured" });
  });

  it("a signed but invalid event is 400 VALIDATION_FAILED naming the fields", async () => {
    const body = JSON.stringify({ id: `evt_${uid()}`, type: "payment.exploded", data: { paymentId: "p", orderId: "o", status: "captured", amount: usd(-1) } });
    const res = await deliver(body);
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual(problem(400, "VALIDATION_FAILED", [{ path: "type", message: expect.any(String) }, { path: "data.amount.amount", message: expect.any(String) }]));
    const notJson = await deliver("{not json");
    expect([notJson.status, notJson.body]).toStrictEqual([400, problem(400, "VALIDATION_FAILED", [{ path: "body", message: "Malformed JSON" }])]);
    // Signed text Postgres cannot hold is the sender's error too (it was a 500 at the insert), named by its field.
    const { input } = await authorized();
    const nul = JSON.parse(event(input.paymentId, input.orderId, "payment.captured")) as { id: string };
    const withNul = await deliver(JSON.stringify({ ...nul, id: `${nul.id}\u0000` }));
    expect([withNul.status, withNul.body]).toStrictEqual([400, problem(400, "VALIDATION_FAILED", [{ path: "id", message: "NUL characters are not allowed" }])]);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "authorized" });
  });
});

describe("POST /v1/webhooks/stripe with PAYMENT_PROVIDER test", () => {
  it("is 404 NOT_FOUND, signed or not: this deployment takes no Stripe webhooks (tests/e2e/stripe-webhook.test.ts runs it on the Stripe provider)", async () => {
    const { input } = await authorized();
    await payments().capture(input.paymentId);
    const body = JSON.stringify({
      id: `evt_${uid()}`, object: "event", type: "charge.refunded",
      data: { object: { id: "ch_1", object: "charge", amount: 1500, amount_captured: 1500, amount_refunded: 1500, captured: true, refunded: true, currency: "usd", payment_intent: "pi_1", metadata: { payment_id: input.paymentId, order_id: input.orderId } } },
    });
    const signed = [await signWebhook(SECRET, body, now()), await signWebhook("whsec_any", body, now())];
    for (const headers of [{}, ...signed.map((sig) => ({ "stripe-signature": sig }))]) {
      const res = await api("POST", "/v1/webhooks/stripe", { rawBody: body, headers });
      expect([res.status, res.body]).toStrictEqual([404, problem(404, "NOT_FOUND")]);
    }
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "captured" });
  });
});

describe("card data is never accepted or stored", () => {
  it("refuses a card number as a payment token at checkout and at authorize", async () => {
    const c = await customer();
    const [v] = await product(admin, [3]);
    await addToCart(c.token, v!.sku, 1);
    const res = await checkout(c.token, { ...checkoutBody(), paymentToken: "4242424242424242" });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain("4242424242424242");
    const { input, res: direct } = await authorized("tok_4242 4242 4242 4242");
    expect(direct).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    expect(JSON.stringify(direct)).not.toContain("4242 4242");
    expect(await payments().getPayment(input.paymentId)).toBeNull();
  });

  it("no stored payment, webhook event or order row contains a PAN", async () => {
    const c = await customer();
    await paidOrder(c);
    await deliver(event(`pay_${uid()}`, `ord_${uid()}`, "payment.captured"));
    const text = await withDb(async (db) => {
      const tables = ["payments", "payment_webhook_events", "orders", "order_items", "order_status_history"];
      const dumps = await Promise.all(tables.map((t) => db.execute(sql.raw(`select coalesce(json_agg(t)::text, '[]') as dump from ${t} t`))));
      return dumps.map((d) => String((d.rows[0] as { dump: string }).dump)).join("\n");
    });
    expect(text.length).toBeGreaterThan(10);
    expect(findPans(text)).toStrictEqual([]);
  });
});
