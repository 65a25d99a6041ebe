/// <reference types="@cloudflare/vitest-plugin/types" />
/**
 * The payment branch of the saga's compensation (workers/orders/src/saga-compensate.ts) when a
 * payment can no longer be voided because it was captured: review #1 (.tmp/review-failpaths-checkout.md).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { OrderDO } from "../../../durable/order-do.ts";
import { available, begunCheckout, ordersEnv, readState } from "./fixtures.ts";

const LOST = { ok: false, error: { code: "PAYMENT_PROVIDER_ERROR", detail: "The payment provider's answer was lost." } } as const;

describe("compensation refunds a payment it can no longer void", () => {
  it("a capture that happened but reached the saga as a failure: the void is refused, the payment refunded, the order failed, the key settled", async () => {
    const b = await begunCheckout(1, 5);
    const placed = await runInDurableObject(b.order, async (instance: OrderDO) => {
      const holder = instance as unknown as { env: OrdersEnv };
      const real = holder.env.PAYMENTS;
      // What an old payments Worker answers after a lost Stripe answer: the capture happened, the saga hears it failed.
      const lossy = {
        authorize: (input: Parameters<typeof real.authorize>[0]) => real.authorize(input),
        capture: async (id: string) => (await real.capture(id), LOST),
        voidAuthorization: (id: string) => real.voidAuthorization(id),
        refund: (id: string) => real.refund(id),
        getPayment: (id: string) => real.getPayment(id),
      };
      holder.env = { ...holder.env, PAYMENTS: lossy as unknown as OrdersEnv["PAYMENTS"] };
      return instance.place(b.input);
    });
    // The failed order stays in the history, so its error names it.
    expect(placed).toStrictEqual({ ok: false, error: { ...LOST.error, orderId: b.input.orderId } });
    expect(await readState(b.order)).toMatchObject({ step: "failed", status: "failed", stock: "restocked", pay: "refunded", payment: { status: "refunded" } });
    expect((await ordersEnv.PAYMENTS.getPayment(b.input.paymentId))?.status).toBe("refunded");
    expect(await available(b.variant.sku)).toBe(5);
    // The checkout is settled: its key replays the failure, and the user may check out again at once.
    expect(await b.cart.beginCheckout(b.key, "hash-1", "req-2")).toMatchObject({ kind: "replay", result: LOST });
    expect(await b.cart.beginCheckout(`${b.key}-next`, "hash-2", "req-3")).toMatchObject({ kind: "start" });
  });
});
