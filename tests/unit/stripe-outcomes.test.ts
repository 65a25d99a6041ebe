/**
 * StripeProvider's three outcomes (done, refused, unknown), its timeout, and reading a payment
 * back: review #1 and #2 (.tmp/review-failpaths-checkout.md).
 */
import { describe, expect, it } from "vitest";
import { StripeProvider } from "../../workers/payments/src/providers/stripe.ts";
import { FakeStripe } from "../support/fake-stripe.ts";

const usd = (amount: number) => ({ amount, currency: "USD" });
const auth = (paymentId: string, token = "tok_visa") => ({
  paymentId, orderId: "ord_1", userId: "usr_1", amount: usd(1999), token, idempotencyKey: `edgeshop-${paymentId}-authorize`,
});
const op = (providerRef: string, idempotencyKey: string) => ({ providerRef, amount: usd(1999), idempotencyKey });

function setup(timeoutMs?: number) {
  const stripe = new FakeStripe("sk_test_fake");
  const provider = new StripeProvider("sk_test_fake", "whsec_local", "https://stripe.test", (input, init) => stripe.handle(new Request(input, init)), timeoutMs);
  return { stripe, provider };
}

describe("StripeProvider tells done, refused and unknown apart", () => {
  it("a declined card and a request Stripe rejects are refused: Stripe did nothing", async () => {
    const { provider } = setup();
    expect(await provider.tryAuthorize(auth("pay_d", "tok_chargeDeclined"))).toStrictEqual({ kind: "refused", error: { code: "PAYMENT_DECLINED", detail: "Your card was declined." } });
    expect(await provider.tryCapture(op("pi_missing", "k1"))).toStrictEqual({ kind: "refused", error: { code: "PAYMENT_PROVIDER_ERROR", detail: "No such payment_intent: 'pi_missing'" } });
  });

  it("a 500 after Stripe acted, a dropped connection, a 409 and an unreadable 2xx are unknown, never refused", async () => {
    const { stripe, provider } = setup();
    stripe.fail("after");
    expect(await provider.tryAuthorize(auth("pay_u1"))).toStrictEqual({ kind: "unknown", detail: "An error occurred with our connection to Stripe." });
    expect(stripe.intentsFor("pay_u1").map((i) => i.status)).toStrictEqual(["requires_capture"]); // it did act
    stripe.fail("drop");
    expect(await provider.tryCapture(op("pi_fake1", "edgeshop-pay_u1-capture"))).toStrictEqual({ kind: "unknown", detail: "The payment provider could not be reached." });
    expect(stripe.intent("pi_fake1")?.status).toBe("succeeded");
    const busy = new StripeProvider("sk", "s", "https://stripe.test", async () => Response.json({ error: { type: "idempotency_error", message: "in progress" } }, { status: 409 }));
    expect(await busy.tryVoid(op("pi_x", "k"))).toStrictEqual({ kind: "unknown", detail: "in progress" });
    const garbled = new StripeProvider("sk", "s", "https://stripe.test", async () => new Response("<html>", { status: 200 }));
    expect(await garbled.tryRefund(op("pi_x", "k"))).toStrictEqual({ kind: "unknown", detail: "The payment provider sent an unexpected answer." });
  });

  it("a call that takes longer than the timeout is abandoned as unknown", async () => {
    const hung = new StripeProvider("sk", "s", "https://stripe.test", (_input, init) => new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
    }), 50);
    const started = Date.now();
    expect(await hung.tryCapture(op("pi_x", "k"))).toStrictEqual({ kind: "unknown", detail: "The payment provider did not answer in time." });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("lookup reads the PaymentIntent and its charge: authorized, captured, refunded, voided", async () => {
    const { provider } = setup();
    await provider.tryAuthorize(auth("pay_l1"));
    await provider.tryAuthorize(auth("pay_l2"));
    const status = async (ref: string) => {
      const r = await provider.lookup(ref);
      return r.kind === "done" ? [r.value.status, r.value.providerStatus] : r.kind;
    };
    expect(await status("pi_fake1")).toStrictEqual(["authorized", "requires_capture"]);
    await provider.tryCapture(op("pi_fake1", "c1"));
    expect(await status("pi_fake1")).toStrictEqual(["captured", "succeeded"]);
    await provider.tryRefund(op("pi_fake1", "r1"));
    expect(await status("pi_fake1")).toStrictEqual(["refunded", "succeeded"]);
    await provider.tryVoid(op("pi_fake2", "v2"));
    expect(await status("pi_fake2")).toStrictEqual(["voided", "canceled"]);
    expect(await provider.lookup("pi_none")).toMatchObject({ kind: "refused" });
  });

  it("findByPaymentId finds a PaymentIntent whose create answer was lost, by its metadata, without creating one", async () => {
    const { stripe, provider } = setup();
    expect(await provider.findByPaymentId("pay_f1")).toStrictEqual({ kind: "done", value: [] });
    stripe.fail("saved"); // Stripe failed before acting: nothing to find
    await provider.tryAuthorize(auth("pay_f1"));
    expect(await provider.findByPaymentId("pay_f1")).toStrictEqual({ kind: "done", value: [] });
    stripe.fail("after");
    await provider.tryAuthorize(auth("pay_f2"));
    expect(await provider.findByPaymentId("pay_f2")).toStrictEqual({ kind: "done", value: [{ providerRef: "pi_fake1", status: "authorized", providerStatus: "requires_capture" }] });
    expect(stripe.calls.filter((c) => c.method === "POST")).toHaveLength(2);
  });
});
