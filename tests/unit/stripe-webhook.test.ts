import { describe, expect, it } from "vitest";
import { parseStripeWebhook } from "../../workers/payments/src/stripe-webhook.ts";
import { signWebhook } from "../../workers/payments/src/webhook-signature.ts";

const secret = "whsec_test_unit";
const config = { PAYMENT_PROVIDER: "stripe", STRIPE_WEBHOOK_SECRET: secret };
const now = 1_790_000_000;
const metadata = { payment_id: "pay_1", order_id: "ord_1", user_id: "usr_1" };
const charge = {
  id: "ch_1", object: "charge", amount: 1999, amount_captured: 1999, amount_refunded: 1999, captured: true, refunded: true,
  currency: "eur", payment_intent: "pi_1", metadata, outcome: { type: "authorized" },
};
const intent = { id: "pi_1", object: "payment_intent", amount: 1999, amount_received: 0, currency: "eur", status: "canceled", metadata };
const event = (type: string, object: object) => JSON.stringify({ id: "evt_1", object: "event", type, data: { object } });

async function parse(body: string, env: { PAYMENT_PROVIDER: string; STRIPE_WEBHOOK_SECRET?: string } = config) {
  return parseStripeWebhook(env, body, await signWebhook(secret, body, now), now);
}

const applied = (move: string, providerRef = "pi_1") => ({
  ok: true,
  value: {
    kind: "apply",
    event: { id: "evt_1", type: expect.any(String), provider: "stripe", paymentId: "pay_1", orderId: "ord_1", amount: { amount: 1999, currency: "EUR" }, providerRef, move },
  },
});

describe("Stripe webhook events in edgeshop's terms", () => {
  it("maps a full refund, a capture, a failed authorization and a canceled PaymentIntent onto the payment's moves", async () => {
    expect(await parse(event("charge.refunded", charge))).toStrictEqual(applied("refund"));
    expect(await parse(event("payment_intent.succeeded", { ...intent, status: "succeeded", amount_received: 1999 }))).toStrictEqual(applied("capture"));
    expect(await parse(event("payment_intent.payment_failed", { ...intent, status: "requires_payment_method" }))).toStrictEqual(applied("fail"));
    expect(await parse(event("payment_intent.canceled", intent))).toStrictEqual(applied("void"));
  });

  it("takes the release of an uncaptured charge (refunded when its PaymentIntent is canceled) for a void, and a partial refund for what it is", async () => {
    expect(await parse(event("charge.refunded", { ...charge, captured: false, amount_captured: 0 }))).toStrictEqual(applied("void"));
    const partial = await parse(event("charge.refunded", { ...charge, refunded: false, amount_refunded: 500 }));
    expect(partial).toMatchObject({ ok: true, value: { kind: "partial-refund", refunded: { amount: 500, currency: "EUR" }, event: { move: "refund", amount: { amount: 1999, currency: "EUR" } } } });
  });

  it("ignores other types and objects without edgeshop's metadata, without reading their objects", async () => {
    const ignored = (reason: string) => ({ ok: true, value: { kind: "ignore", id: "evt_1", type: expect.any(String), reason } });
    expect(await parse(event("invoice.paid", { whatever: true }))).toStrictEqual(ignored("an event type edgeshop does not act on"));
    expect(await parse(event("constructor", {}))).toStrictEqual(ignored("an event type edgeshop does not act on"));
    expect(await parse(event("charge.refunded", { ...charge, metadata: {} }))).toStrictEqual(ignored("not an edgeshop payment"));
    expect(await parse(event("charge.refunded", { ...charge, payment_intent: null }))).toStrictEqual(ignored("not an edgeshop payment"));
    expect(await parse(event("payment_intent.succeeded", { ...intent, metadata: { payment_id: "pay_1" } }))).toStrictEqual(ignored("not an edgeshop payment"));
  });

  it("is NOT_FOUND unless the provider is stripe and the endpoint's secret is set, whatever is sent", async () => {
    const body = event("charge.refunded", charge);
    for (const env of [{ PAYMENT_PROVIDER: "test", STRIPE_WEBHOOK_SECRET: secret }, { PAYMENT_PROVIDER: "stripe", STRIPE_WEBHOOK_SECRET: "" }, { PAYMENT_PROVIDER: "stripe" }]) {
      expect(await parse(body, env)).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    }
  });

  it("verifies Stripe-Signature before reading anything, naming that header", async () => {
    expect(await parseStripeWebhook(config, "not json", null, now)).toStrictEqual({
      ok: false,
      error: { code: "INVALID_SIGNATURE", detail: "The Stripe-Signature header is missing, malformed, stale or does not match the body." },
    });
  });
});
