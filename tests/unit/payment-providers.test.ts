import { describe, expect, it } from "vitest";
import { StripeProvider } from "../../workers/payments/src/providers/stripe.ts";
import { TestProvider } from "../../workers/payments/src/providers/test-provider.ts";
import { providerFor } from "../../workers/payments/src/providers/index.ts";
import { FakeStripe } from "../support/fake-stripe.ts";

const usd = (amount: number) => ({ amount, currency: "USD" });
const auth = (token: string, paymentId = `pay_${token}`) => ({
  paymentId, orderId: "ord_1", userId: "usr_1", amount: usd(1999), token, idempotencyKey: `edgeshop-${paymentId}-authorize`,
});

describe("TestProvider", () => {
  const p = new TestProvider(0, "whsec_local");

  it("approves tok_visa and tok_mastercard with their last4", async () => {
    expect(await p.authorize(auth("tok_visa", "pay_a"))).toStrictEqual({ ok: true, value: { providerRef: "test_pay_a", last4: "4242" } });
    expect(await p.authorize(auth("tok_mastercard", "pay_b"))).toStrictEqual({ ok: true, value: { providerRef: "test_pay_b", last4: "4444" } });
  });

  it("declines, errors and refuses unknown tokens deterministically", async () => {
    expect(await p.authorize(auth("tok_chargeDeclined"))).toStrictEqual({ ok: false, error: { code: "PAYMENT_DECLINED", detail: "The card was declined." } });
    expect(await p.authorize(auth("tok_insufficientFunds"))).toStrictEqual({ ok: false, error: { code: "PAYMENT_DECLINED", detail: "The card has insufficient funds." } });
    expect(await p.authorize(auth("tok_processingError"))).toStrictEqual({
      ok: false, error: { code: "PAYMENT_PROVIDER_ERROR", detail: "The payment provider could not process the payment." },
    });
    expect(await p.authorize(auth("tok_nope"))).toStrictEqual({ ok: false, error: { code: "PAYMENT_DECLINED", detail: "The payment token is unknown to the payment provider." } });
  });

  it("captures, voids and refunds", async () => {
    const op = { providerRef: "test_pay_a", amount: usd(1999), idempotencyKey: "k" };
    expect(await p.capture(op)).toStrictEqual({ ok: true, value: null });
    expect(await p.void(op)).toStrictEqual({ ok: true, value: null });
    expect(await p.refund(op)).toStrictEqual({ ok: true, value: { refundRef: "test_re_test_pay_a" } });
  });

  it("waits the configured latency on every call", async () => {
    const slow = providerFor({ PAYMENT_PROVIDER: "test", TEST_PROVIDER_LATENCY_MS: "40", PAYMENT_WEBHOOK_SECRET: "s" });
    const started = Date.now();
    await slow.authorize(auth("tok_visa"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });
});

describe("providerFor", () => {
  it("selects by PAYMENT_PROVIDER and refuses a misconfiguration", () => {
    expect(providerFor({ PAYMENT_PROVIDER: "test", PAYMENT_WEBHOOK_SECRET: "s" }).name).toBe("test");
    expect(providerFor({ PAYMENT_PROVIDER: "stripe", STRIPE_SECRET_KEY: "sk_test_x", PAYMENT_WEBHOOK_SECRET: "s" }).name).toBe("stripe");
    expect(() => providerFor({ PAYMENT_PROVIDER: "stripe", PAYMENT_WEBHOOK_SECRET: "s" })).toThrow("STRIPE_SECRET_KEY");
    expect(() => providerFor({ PAYMENT_PROVIDER: "paypal", PAYMENT_WEBHOOK_SECRET: "s" })).toThrow("unknown PAYMENT_PROVIDER");
  });
});

describe("StripeProvider against a fake Stripe", () => {
  const setup = () => {
    const stripe = new FakeStripe("sk_test_fake");
    const provider = new StripeProvider("sk_test_fake", "whsec_local", "https://stripe.test", (input, init) => stripe.handle(new Request(input, init)));
    return { stripe, provider };
  };

  it("authorizes with a manual-capture PaymentIntent and an idempotency key", async () => {
    const { stripe, provider } = setup();
    const res = await provider.authorize(auth("tok_visa", "pay_s1"));
    expect(res).toStrictEqual({ ok: true, value: { providerRef: "pi_fake1", last4: "4242" } });
    expect(stripe.calls).toHaveLength(1);
    expect(stripe.calls[0]).toMatchObject({ path: "/v1/payment_intents", idempotencyKey: "edgeshop-pay_s1-authorize", replayed: false });
    expect(stripe.calls[0]!.params).toMatchObject({
      amount: "1999", currency: "usd", capture_method: "manual", confirm: "true", "payment_method_data[card][token]": "tok_visa", "metadata[order_id]": "ord_1",
    });
    expect(stripe.intent("pi_fake1")?.status).toBe("requires_capture");
  });

  it("a retried authorize with the same key is replayed by Stripe, not charged twice", async () => {
    const { stripe, provider } = setup();
    const first = await provider.authorize(auth("tok_visa", "pay_s2"));
    const again = await provider.authorize(auth("tok_visa", "pay_s2"));
    expect(again).toStrictEqual(first);
    expect(stripe.effectiveCalls("/v1/payment_intents")).toHaveLength(1);
  });

  it("maps card errors to PAYMENT_DECLINED and outages to PAYMENT_PROVIDER_ERROR", async () => {
    const { stripe, provider } = setup();
    expect(await provider.authorize(auth("tok_chargeDeclined"))).toStrictEqual({ ok: false, error: { code: "PAYMENT_DECLINED", detail: "Your card was declined." } });
    expect(await provider.authorize(auth("tok_bogus"))).toStrictEqual({ ok: false, error: { code: "PAYMENT_DECLINED", detail: "No such token: 'tok_bogus'" } });
    stripe.failNext = 1;
    expect(await provider.authorize(auth("tok_visa", "pay_s3"))).toStrictEqual({
      ok: false, error: { code: "PAYMENT_PROVIDER_ERROR", detail: "An error occurred with our connection to Stripe." },
    });
    const down = new StripeProvider("sk_test_fake", "s", "https://stripe.test", () => Promise.reject(new Error("connect ECONNREFUSED")));
    expect(await down.authorize(auth("tok_visa"))).toStrictEqual({ ok: false, error: { code: "PAYMENT_PROVIDER_ERROR", detail: "The payment provider could not be reached." } });
    const badKey = new StripeProvider("sk_test_wrong", "s", "https://stripe.test", (i, init) => stripe.handle(new Request(i, init)));
    expect((await badKey.authorize(auth("tok_visa", "pay_s4"))).ok).toBe(false);
  });

  it("captures, then refunds; retries replay", async () => {
    const { stripe, provider } = setup();
    await provider.authorize(auth("tok_visa", "pay_s5"));
    const op = (k: string) => ({ providerRef: "pi_fake1", amount: usd(1999), idempotencyKey: k });
    expect(await provider.capture(op("edgeshop-pay_s5-capture"))).toStrictEqual({ ok: true, value: null });
    expect(await provider.capture(op("edgeshop-pay_s5-capture"))).toStrictEqual({ ok: true, value: null });
    expect(stripe.intent("pi_fake1")?.status).toBe("succeeded");
    expect(await provider.refund(op("edgeshop-pay_s5-refund"))).toStrictEqual({ ok: true, value: { refundRef: "re_fake2" } });
    expect(stripe.effectiveCalls("/capture")).toHaveLength(1);
    expect(stripe.effectiveCalls("/v1/refunds")).toHaveLength(1);
    expect(await provider.void(op("edgeshop-pay_s5-void"))).toStrictEqual({
      ok: false, error: { code: "PAYMENT_PROVIDER_ERROR", detail: "This PaymentIntent's status is succeeded." },
    });
  });

  it("voids an authorization with cancel", async () => {
    const { stripe, provider } = setup();
    await provider.authorize(auth("tok_mastercard", "pay_s6"));
    expect(await provider.void({ providerRef: "pi_fake1", amount: usd(1999), idempotencyKey: "edgeshop-pay_s6-void" })).toStrictEqual({ ok: true, value: null });
    expect(stripe.intent("pi_fake1")?.status).toBe("canceled");
  });
});
