/**
 * POST /v1/webhooks/stripe, in the e2e-stripe project: the whole stack with
 * the payments Worker on the Stripe provider, talking HTTP to the fake Stripe
 * (tests/harness/fake-stripe-server.ts), whose endpoint secret is
 * FAKE_STRIPE_WEBHOOK_SECRET. Events are built from what the fake Stripe holds
 * and signed here as Stripe signs them, independently of edgeshop's verifier.
 */
import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb } from "../../shared/db/client.ts";
import type { Order } from "../../shared/schemas/orders.ts";
import { FAKE_STRIPE_KEY, FAKE_STRIPE_WEBHOOK_SECRET, type Charge } from "../support/fake-stripe.ts";
import { addToCart, adminToken, api, checkout, customer, eventually, inventory, problem, product, uid } from "./orders-support.ts";
import { sentryEvents, waitForEvent } from "./sentry-support.ts";

const FAKE = inject("fakeStripeUrl");
const now = () => Math.floor(Date.now() / 1000);
const payments = () => (env as unknown as { PAYMENTS: GatewayEnv["PAYMENTS"] }).PAYMENTS;

interface Intent {
  id: string;
  status: string;
  amount: number;
  currency: string;
  metadata: Record<string, string>;
  charge: Charge;
}

let admin = "";
beforeAll(async () => {
  admin = await adminToken();
});
// Background work (waitUntil copies, outbox, idle pools ending) logs after the last test.
afterAll(() => new Promise((resolve) => setTimeout(resolve, 1_500)));

/** `v1=<hex HMAC-SHA256 of "<t>.<body>">` computed here, as Stripe does, not by the code under test. */
async function v1(body: string, t: number, secret = FAKE_STRIPE_WEBHOOK_SECRET): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${body}`));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function stripeSignature(body: string, t = now()): Promise<string> {
  return `t=${t},v1=${await v1(body, t)}`;
}

/** A Stripe event as Stripe sends it: the envelope's fields, and the object as Stripe holds it. */
function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${uid()}`): string {
  return JSON.stringify({
    id, object: "event", api_version: "2025-09-30.clover", created: now(), livemode: false, pending_webhooks: 1,
    request: { id: null, idempotency_key: null }, type, data: { object },
  });
}

async function deliver(body: string, signature: string | null | undefined = undefined) {
  const header = signature === undefined ? await stripeSignature(body) : signature;
  return api("POST", "/v1/webhooks/stripe", { rawBody: body, headers: header === null ? {} : { "stripe-signature": header } });
}

/** The PaymentIntent the fake Stripe holds for a payment, with its charge. */
async function intentOf(paymentId: string): Promise<Intent> {
  const intents = (await (await fetch(`${FAKE}/__intents?payment_id=${encodeURIComponent(paymentId)}`)).json()) as Intent[];
  expect(intents).toHaveLength(1);
  return intents[0]!;
}

/** A PaymentIntent as a `payment_intent.*` event carries it (without the expanded charge). */
function intentObject(intent: Intent, status = intent.status): Record<string, unknown> {
  const { charge, ...rest } = intent;
  return { ...rest, object: "payment_intent", status, latest_charge: charge.id, amount_received: status === "succeeded" ? intent.amount : 0 };
}

/** What someone does in Stripe's dashboard (the fake's API, with the account's key): edgeshop hears of it only by webhook. */
async function atStripe(path: string, params: Record<string, string> = {}): Promise<void> {
  const headers = { authorization: `Bearer ${FAKE_STRIPE_KEY}`, "content-type": "application/x-www-form-urlencoded" };
  const res = await fetch(`${FAKE}${path}`, { method: "POST", body: new URLSearchParams(params), headers });
  expect(res.status, await res.text()).toBe(200);
}

const refundAtStripe = (intent: Intent, amount?: number) => atStripe("/v1/refunds", { payment_intent: intent.id, ...(amount === undefined ? {} : { amount: String(amount) }) });

/** A paid order through the public API, paid with the Stripe provider; its stock and SKU. */
async function paidOrder(quantity = 2) {
  const c = await customer();
  const [v] = await product(admin, [5]);
  await addToCart(c.token, v!.sku, quantity);
  const res = await checkout(c.token);
  expect([res.status, res.body.status, res.body.payment.status]).toStrictEqual([201, "paid", "captured"]);
  return { c, sku: v!.sku, order: res.body, intent: await intentOf(res.body.payment.id) };
}

/** A payment authorized directly through the payments Worker (no order behind it). */
async function authorized(token = "tok_visa", amount = 1500) {
  const input = { paymentId: `pay_${uid()}`, orderId: `ord_${uid()}`, userId: `usr_${uid()}`, amount: { amount, currency: "USD" }, token };
  await payments().authorize(input);
  return input;
}

async function dedupeRows(eventId: string): Promise<number> {
  const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
  try {
    return (await db.execute(sql`select id from payment_webhook_events where id = ${`stripe:${eventId}`}`)).rows.length;
  } finally {
    await pool.end();
  }
}

const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;

/** The refunds edgeshop asked the fake Stripe for, for one payment (by idempotency key; the dashboard's carry none). */
async function refundCalls(paymentId: string): Promise<{ idempotencyKey: string | null; params: Record<string, string> }[]> {
  const calls = (await (await fetch(`${FAKE}/__calls`)).json()) as { path: string; idempotencyKey: string | null; replayed: boolean; params: Record<string, string> }[];
  return calls.filter((call) => call.path === "/v1/refunds" && !call.replayed && call.idempotencyKey?.startsWith(`edgeshop-${paymentId}-`));
}

describe("POST /v1/webhooks/stripe: refunds made at Stripe", () => {
  it("a full refund (charge.refunded) refunds the payment and cancels its paid order, returning the stock, before the webhook is acknowledged", async () => {
    const { c, sku, order, intent } = await paidOrder();
    await refundAtStripe(intent);
    const refunded = await intentOf(order.payment.id);
    expect(refunded.charge).toMatchObject({ refunded: true, amount_refunded: order.total.amount, captured: true, metadata: { payment_id: order.payment.id } });
    const res = await deliver(stripeEvent("charge.refunded", { ...refunded.charge }));
    expect([res.status, res.body]).toStrictEqual([200, { received: true }]);
    // No wait: from the acknowledgement on, the order reads cancelled.
    expect((await api<Order>("GET", `/v1/orders/${order.id}`, { token: c.token })).body).toMatchObject({ status: "cancelled", payment: { status: "refunded" } });
    expect((await api<{ items: { status: string }[] }>("GET", `/v1/orders/${order.id}/payments`, { token: c.token })).body.items.map((p) => p.status)).toStrictEqual(["refunded"]);
    expect(await inventory(admin, sku)).toStrictEqual({ sku, onHand: 5, reserved: 0, available: 5 });
    // The refund happened at Stripe: edgeshop's cancel did not ask for a second one.
    expect((await payments().providerCalls(order.payment.id)).map((call) => call.op)).toStrictEqual(["authorize", "capture"]);
  });

  it("a partial refund is recorded (payments list shows refundedAmount, status and order unchanged); the refund that completes it refunds the payment", async () => {
    const { c, order, intent } = await paidOrder(1);
    await refundAtStripe(intent, 100);
    const partial = stripeEvent("charge.refunded", { ...(await intentOf(order.payment.id)).charge });
    expect([(await deliver(partial)).status]).toStrictEqual([200]);
    expect(await dedupeRows(idOf(partial))).toBe(1);
    const currency = order.total.currency;
    expect(await payments().getPayment(order.payment.id)).toMatchObject({ status: "captured", refundedAmount: { amount: 100, currency } });
    expect((await api<Order>("GET", `/v1/orders/${order.id}`, { token: c.token })).body).toMatchObject({ status: "paid", payment: { status: "captured" } });
    expect((await api<{ items: unknown[] }>("GET", `/v1/orders/${order.id}/payments`, { token: c.token })).body.items).toMatchObject([
      { id: order.payment.id, status: "captured", amount: order.total, refundedAmount: { amount: 100, currency } },
    ]);
    // Recorded, not a discrepancy: no report.
    await new Promise((r) => setTimeout(r, 300));
    expect((await sentryEvents()).filter((e) => e.tags?.webhookEventId === idOf(partial))).toStrictEqual([]);
    await refundAtStripe(intent);
    const rest = await intentOf(order.payment.id);
    expect(rest.charge).toMatchObject({ refunded: true, amount_refunded: order.total.amount });
    expect((await deliver(stripeEvent("charge.refunded", { ...rest.charge }))).status).toBe(200);
    expect((await api<Order>("GET", `/v1/orders/${order.id}`, { token: c.token })).body).toMatchObject({ status: "cancelled", payment: { status: "refunded" } });
    // A refunded payment says so by its status: no refundedAmount.
    const listed = (await api<{ items: Record<string, unknown>[] }>("GET", `/v1/orders/${order.id}/payments`, { token: c.token })).body.items;
    expect([listed.map((p) => p.status), listed.map((p) => "refundedAmount" in p)]).toStrictEqual([["refunded"], [false]]);
    // An older partial event delivered late (Stripe does not keep its events in order) changes nothing.
    expect((await deliver(stripeEvent("charge.refunded", JSON.parse(partial).data.object as Record<string, unknown>))).status).toBe(200);
    expect(await payments().getPayment(order.payment.id)).toMatchObject({ status: "refunded" });
    expect(await refundCalls(order.payment.id)).toStrictEqual([]);
  });

  it("after a partial refund at Stripe, cancelling the order refunds exactly the rest, once; redeliveries of the partial event change nothing", async () => {
    const { c, sku, order, intent } = await paidOrder(2);
    await refundAtStripe(intent, 250);
    const partial = stripeEvent("charge.refunded", { ...(await intentOf(order.payment.id)).charge });
    expect([(await deliver(partial)).status, (await deliver(partial)).status]).toStrictEqual([200, 200]);
    expect(await dedupeRows(idOf(partial))).toBe(1);
    expect(await payments().getPayment(order.payment.id)).toMatchObject({ status: "captured", refundedAmount: { amount: 250 } });
    const cancel = await api<Order>("POST", `/v1/orders/${order.id}/cancel`, { token: c.token });
    expect([cancel.status, cancel.body.status, cancel.body.payment?.status]).toStrictEqual([200, "cancelled", "refunded"]);
    const calls = await refundCalls(order.payment.id);
    expect(calls.map((call) => call.params.amount)).toStrictEqual([String(order.total.amount - 250)]);
    expect(calls[0]!.params.payment_intent).toBe(intent.id);
    const after = await intentOf(order.payment.id);
    expect(after.charge).toMatchObject({ refunded: true, amount_refunded: order.total.amount });
    expect(await inventory(admin, sku)).toStrictEqual({ sku, onHand: 5, reserved: 0, available: 5 });
    // Stripe's charge.refunded for the rest confirms it; a second cancel asks for nothing.
    expect((await deliver(stripeEvent("charge.refunded", { ...after.charge }))).status).toBe(200);
    expect((await api("POST", `/v1/orders/${order.id}/cancel`, { token: c.token })).status).toBe(200);
    expect(await refundCalls(order.payment.id)).toHaveLength(1);
    expect((await payments().providerCalls(order.payment.id)).map((call) => call.op)).toStrictEqual(["authorize", "capture", "refund"]);
  });

  it("partial refunds that add up to the whole payment (reported as partial) leave a cancel nothing to ask of Stripe", async () => {
    const { c, order, intent } = await paidOrder(1);
    await refundAtStripe(intent, 100);
    await refundAtStripe(intent, order.total.amount - 100);
    // Stripe says refunded: true by then; an event that still says partial, for the whole amount, is what edgeshop might see.
    const charge = { ...(await intentOf(order.payment.id)).charge, refunded: false };
    expect((await deliver(stripeEvent("charge.refunded", charge))).status).toBe(200);
    expect(await payments().getPayment(order.payment.id)).toMatchObject({ status: "captured" });
    const cancel = await api<Order>("POST", `/v1/orders/${order.id}/cancel`, { token: c.token });
    expect([cancel.status, cancel.body.status, cancel.body.payment?.status]).toStrictEqual([200, "cancelled", "refunded"]);
    expect(await refundCalls(order.payment.id)).toStrictEqual([]);
    expect((await payments().providerCalls(order.payment.id)).map((call) => call.op)).toStrictEqual(["authorize", "capture"]);
  });

  it("a redelivered event (same Stripe event id) is acknowledged every time and applied once, even five at once", async () => {
    const { order, intent } = await paidOrder(1);
    await refundAtStripe(intent);
    const body = stripeEvent("charge.refunded", { ...(await intentOf(order.payment.id)).charge });
    const all = await Promise.all(Array.from({ length: 5 }, () => deliver(body)));
    for (const r of all) expect([r.status, r.body]).toStrictEqual([200, { received: true }]);
    expect(await dedupeRows(idOf(body))).toBe(1);
    // The RPC view: a later delivery is a duplicate and names no order to end.
    expect(await payments().handleStripeWebhook(body, await stripeSignature(body))).toStrictEqual({ ok: true, value: { received: true, duplicate: true } });
    expect(await payments().getPayment(order.payment.id)).toMatchObject({ status: "refunded" });
  });
});

describe("POST /v1/webhooks/stripe: PaymentIntent events", () => {
  it("payment_intent.succeeded captures an authorized payment (a capture made at Stripe); for one edgeshop captured it changes nothing and reports nothing", async () => {
    const input = await authorized();
    await atStripe(`/v1/payment_intents/${(await intentOf(input.paymentId)).id}/capture`);
    const intent = await intentOf(input.paymentId);
    const succeeded = stripeEvent("payment_intent.succeeded", intentObject(intent));
    expect([(await deliver(succeeded)).status]).toStrictEqual([200]);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "captured", providerRef: intent.id });
    await eventually(async () => expect((await payments().listForOrder(input.orderId)).map((p) => p.status)).toStrictEqual(["captured"]));
    // A webhook is news from Stripe: it never calls Stripe back.
    expect((await payments().providerCalls(input.paymentId)).map((call) => call.op)).toStrictEqual(["authorize"]);

    const { order } = await paidOrder(1);
    const confirming = stripeEvent("payment_intent.succeeded", intentObject(await intentOf(order.payment.id)));
    expect([(await deliver(confirming)).status]).toStrictEqual([200]);
    expect(await payments().getPayment(order.payment.id)).toMatchObject({ status: "captured" });
    await new Promise((r) => setTimeout(r, 300));
    expect((await sentryEvents()).filter((e) => e.tags?.webhookEventId === idOf(confirming))).toStrictEqual([]);
  });

  it("payment_intent.canceled voids an authorized payment, and confirms a void edgeshop made without a report", async () => {
    const theirs = await authorized();
    await atStripe(`/v1/payment_intents/${(await intentOf(theirs.paymentId)).id}/cancel`);
    const canceled = stripeEvent("payment_intent.canceled", intentObject(await intentOf(theirs.paymentId)));
    expect([(await deliver(canceled)).status]).toStrictEqual([200]);
    expect(await payments().getPayment(theirs.paymentId)).toMatchObject({ status: "voided" });

    const ours = await authorized();
    expect(await payments().voidAuthorization(ours.paymentId)).toMatchObject({ ok: true, value: { status: "voided" } });
    const confirmed = stripeEvent("payment_intent.canceled", intentObject(await intentOf(ours.paymentId)));
    // Stripe also marks the released charge refunded (uncaptured): a void, not a refund.
    const released = stripeEvent("charge.refunded", { ...(await intentOf(ours.paymentId)).charge, refunded: true, amount_refunded: 1500 });
    for (const body of [confirmed, released]) expect([(await deliver(body)).status]).toStrictEqual([200]);
    expect(await payments().getPayment(ours.paymentId)).toMatchObject({ status: "voided" });
    await new Promise((r) => setTimeout(r, 300));
    expect((await sentryEvents()).filter((e) => [idOf(confirmed), idOf(released)].includes(e.tags?.webhookEventId ?? ""))).toStrictEqual([]);
  });

  it("payment_intent.payment_failed confirms a declined authorization without a report", async () => {
    const declined = await authorized("tok_chargeDeclined");
    expect(await payments().getPayment(declined.paymentId)).toMatchObject({ status: "failed" });
    // Stripe keeps the declined PaymentIntent; edgeshop, refused, never learned its id.
    const body = stripeEvent("payment_intent.payment_failed", {
      id: `pi_${uid()}`, object: "payment_intent", status: "requires_payment_method", amount: 1500, amount_received: 0, currency: "usd",
      metadata: { payment_id: declined.paymentId, order_id: declined.orderId, user_id: declined.userId },
    });
    expect([(await deliver(body)).status]).toStrictEqual([200]);
    expect(await payments().getPayment(declined.paymentId)).toMatchObject({ status: "failed" });
    await new Promise((r) => setTimeout(r, 300));
    expect((await sentryEvents()).filter((e) => e.tags?.webhookEventId === idOf(body))).toStrictEqual([]);
  });

  it("an event naming a payment edgeshop does not know, or another PaymentIntent than the payment's, is acknowledged, changes nothing and is reported", async () => {
    const input = await authorized();
    const intent = await intentOf(input.paymentId);
    const unknown = stripeEvent("payment_intent.succeeded", intentObject({ ...intent, metadata: { payment_id: `pay_${uid()}`, order_id: `ord_${uid()}` } }, "succeeded"));
    const otherIntent = stripeEvent("payment_intent.succeeded", intentObject({ ...intent, id: `pi_${uid()}` }, "succeeded"));
    for (const body of [unknown, otherIntent]) {
      expect([(await deliver(body)).status]).toStrictEqual([200]);
      expect(await waitForEvent((e) => e.tags?.webhookEventId === idOf(body))).toMatchObject({ level: "warning", message: "payment webhook matches no payment" });
    }
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "authorized" });
  });
});

describe("POST /v1/webhooks/stripe: what is acknowledged and ignored", () => {
  it("acknowledges event types edgeshop does not act on, and PaymentIntents that are not edgeshop's, without recording them", async () => {
    const input = await authorized();
    const intent = await intentOf(input.paymentId);
    const bodies = [
      stripeEvent("customer.created", { id: `cus_${uid()}`, object: "customer", anything: { nested: [1, 2] } }),
      stripeEvent("payment_intent.created", intentObject(intent)),
      stripeEvent("charge.succeeded", { ...intent.charge }),
      stripeEvent("payment_intent.succeeded", intentObject({ ...intent, metadata: {} }, "succeeded")),
      stripeEvent("charge.refunded", { ...intent.charge, metadata: { someone_else: "x" } }),
    ];
    for (const body of bodies) {
      const res = await deliver(body);
      expect([res.status, res.body]).toStrictEqual([200, { received: true }]);
      expect(await dedupeRows(idOf(body))).toBe(0);
    }
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "authorized" });
  });
});

describe("POST /v1/webhooks/stripe: signatures and bodies", () => {
  it("refuses a missing, malformed, stale, future, tampered, v0-only or wrongly keyed signature with 400 INVALID_SIGNATURE, changing nothing", async () => {
    const input = await authorized();
    const body = stripeEvent("payment_intent.succeeded", intentObject(await intentOf(input.paymentId), "succeeded"));
    const t = now();
    const cases = [
      null,
      "",
      "garbage",
      `t=${t}`,
      `v1=${await v1(body, t)}`,
      `t=${t - 310},v1=${await v1(body, t - 310)}`,
      `t=${t + 310},v1=${await v1(body, t + 310)}`,
      `t=${t},v1=${await v1(`${body} `, t)}`,
      `t=${t},v0=${await v1(body, t)}`,
      `t=${t},v1=${await v1(body, t, "whsec_wrong")}`,
      // The edgeshop-signature of API.md's webhook, with that webhook's secret: not Stripe's.
      `t=${t},v1=${await v1(body, t, "whsec_local")}`,
    ];
    for (const sig of cases) {
      const res = await deliver(body, sig);
      expect([sig, res.status, res.body]).toStrictEqual([sig, 400, problem(400, "INVALID_SIGNATURE")]);
    }
    expect(await dedupeRows(idOf(body))).toBe(0);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "authorized" });
  });

  it("accepts a header with several v1 signatures when any of them matches (a secret being rolled), and ignores v0", async () => {
    const input = await authorized();
    const body = stripeEvent("payment_intent.succeeded", intentObject(await intentOf(input.paymentId), "succeeded"));
    const t = now();
    const header = `t=${t},v1=${await v1(body, t, "whsec_previous_secret")},v1=${await v1(body, t)},v0=${"0".repeat(64)}`;
    const res = await deliver(body, header);
    expect([res.status, res.body]).toStrictEqual([200, { received: true }]);
    expect(await payments().getPayment(input.paymentId)).toMatchObject({ status: "captured" });
    // Within the tolerance, an older timestamp is still Stripe's.
    const late = stripeEvent("customer.updated", { id: `cus_${uid()}`, object: "customer" });
    expect((await deliver(late, `t=${t - 290},v1=${await v1(late, t - 290)}`)).status).toBe(200);
  });

  it("a signed but malformed event is 400 VALIDATION_FAILED naming the fields; another type's object is not read", async () => {
    const notJson = await deliver("{not json");
    expect([notJson.status, notJson.body]).toStrictEqual([400, problem(400, "VALIDATION_FAILED", [{ path: "body", message: "Malformed JSON" }])]);
    const noId = await deliver(JSON.stringify({ object: "event", type: "charge.refunded", data: {} }));
    expect([noId.status, noId.body]).toStrictEqual([400, problem(400, "VALIDATION_FAILED", [
      { path: "id", message: expect.any(String) },
      { path: "data.object", message: expect.any(String) },
    ])]);
    const input = await authorized();
    const charge = (await intentOf(input.paymentId)).charge;
    const { refunded: _gone, ...withoutRefunded } = charge;
    const bad = await deliver(stripeEvent("charge.refunded", { ...withoutRefunded, amount: -1 }));
    expect([bad.status, bad.body]).toStrictEqual([400, problem(400, "VALIDATION_FAILED", [
      { path: "data.object.amount", message: expect.any(String) },
      { path: "data.object.refunded", message: expect.any(String) },
    ])]);
    // A type edgeshop ignores is acknowledged whatever its object holds.
    expect((await deliver(stripeEvent("invoice.paid", { amount: "not a number" }))).status).toBe(200);
  });
});
