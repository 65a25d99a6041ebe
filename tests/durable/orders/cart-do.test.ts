/// <reference types="@cloudflare/vitest-plugin/types" />
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CartDO } from "../../../durable/cart-do.ts";
import { problemResponse } from "../../../shared/errors.ts";
import { CART_IDLE_MS } from "../../../workers/orders/src/cart-store.ts";
import { beginCheckout, CART_BUSY_WAIT_MS, completeCheckout, IN_FLIGHT_STALE_MS, oldestInFlight } from "../../../workers/orders/src/cart-checkout.ts";
import { checkout } from "../../../workers/orders/src/checkout.ts";
import { countingSql } from "../../support/rows-read.ts";
import { cartOf, checkoutInput, ordersEnv, stockedVariant, uid } from "./fixtures.ts";

/** A Durable Object namespace whose objects throw `method`'s call as a reset one does (a deploy's code update). */
function resetting(method: string): DurableObjectNamespace {
  const stub = { [method]: async () => Promise.reject(new Error("Durable Object reset because its code was updated.")) };
  return { idFromName: (name: string) => ordersEnv.CART.idFromName(name), get: () => stub } as unknown as DurableObjectNamespace;
}

describe("CartDO", () => {
  it("serialises concurrent adds: no line or unit is lost, and never past the stock", async () => {
    const cart = cartOf(uid("usr"));
    const v = await stockedVariant(100);
    const results = await Promise.all(Array.from({ length: 30 }, () => cart.addItem(v, 1, 20)));
    expect(results.filter((r) => r.ok)).toHaveLength(20);
    expect(results.filter((r) => !r.ok && r.error.code === "OUT_OF_STOCK")).toHaveLength(10);
    expect((await cart.getCart()).items.map((i) => i.quantity)).toStrictEqual([20]);
  });

  it("empties a cart idle for 30 days through its alarm, keeping its id", async () => {
    const cart = cartOf(uid("usr"));
    const v = await stockedVariant(10);
    await cart.addItem(v, 2, 10);
    const before = await cart.getCart();
    // Not idle yet: the alarm keeps the lines.
    await runDurableObjectAlarm(cart);
    expect((await cart.getCart()).items).toHaveLength(1);
    await runInDurableObject(cart, async (_i: CartDO, state) => {
      state.storage.sql.exec(`UPDATE meta SET v = ? WHERE k = 'updated_at'`, String(Date.now() - CART_IDLE_MS - 1_000));
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(cart)).toBe(true);
    const after = await cart.getCart();
    expect(after.id).toBe(before.id);
    expect(after.items).toStrictEqual([]);
  });

  it("answers a key per Stripe's rules: 409 while in flight, 422 for another body, one checkout per cart", async () => {
    const cart = cartOf(uid("usr"));
    const v = await stockedVariant(10);
    await cart.addItem(v, 1, 10);
    const first = await cart.beginCheckout("k1", "body-a", "req-1");
    expect(first.kind).toBe("start");
    expect(await cart.beginCheckout("k1", "body-a", "req-2")).toMatchObject({ kind: "refused", error: { code: "IDEMPOTENCY_IN_PROGRESS" } });
    expect(await cart.beginCheckout("k1", "body-b", "req-3")).toMatchObject({ kind: "refused", error: { code: "IDEMPOTENCY_KEY_REUSED" } });
    await runInDurableObject(cart, (_i: CartDO, state) => {
      expect(beginCheckout(state.storage.sql, "k2", "body-a", "req-4", Date.now())).toStrictEqual({ kind: "busy" });
    });
  });

  it("lets another key's checkout of a busy cart wait for the running one, then decide on the cart it left", async () => {
    const cart = cartOf(uid("usr"));
    const v = await stockedVariant(10);
    await cart.addItem(v, 1, 10);
    const first = await cart.beginCheckout("k1", "body-a", "req-1");
    if (first.kind !== "start") throw new Error(`expected a start, got ${first.kind}`);
    const second = cart.beginCheckout("k2", "body-a", "req-2");
    const order = { id: first.orderId, items: [{ sku: v.sku, quantity: 1 }] };
    await cart.completeCheckout("k1", first.orderId, { ok: true, value: order } as never);
    expect(await second).toMatchObject({ kind: "done", result: { ok: false, error: { code: "CART_EMPTY" } } });

    // After a failed first checkout the lines are still there, and the waiting one starts on them.
    await cart.addItem(v, 1, 10);
    const third = await cart.beginCheckout("k3", "body-a", "req-3");
    if (third.kind !== "start") throw new Error(`expected a start, got ${third.kind}`);
    const fourth = cart.beginCheckout("k4", "body-a", "req-4");
    await cart.completeCheckout("k3", third.orderId, { ok: false, error: { code: "PAYMENT_DECLINED", detail: "declined" } });
    expect(await fourth).toMatchObject({ kind: "start", lines: [{ sku: v.sku, quantity: 1 }] });
  });

  it("refuses another key with 409 CONFLICT once the running checkout outlasts the wait", async () => {
    const cart = cartOf(uid("usr"));
    const v = await stockedVariant(10);
    await cart.addItem(v, 1, 10);
    expect((await cart.beginCheckout("k1", "body-a", "req-1")).kind).toBe("start");
    const started = Date.now();
    expect(await cart.beginCheckout("k2", "body-a", "req-2")).toMatchObject({ kind: "refused", error: { code: "CONFLICT" } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(CART_BUSY_WAIT_MS - 50);
  });

  it("frees a key whose OrderDO never started, once it is stale", async () => {
    const cart = cartOf(uid("usr"));
    const v = await stockedVariant(10);
    await cart.addItem(v, 1, 10);
    expect((await cart.beginCheckout("k1", "body-a", "req-1")).kind).toBe("start");
    await runInDurableObject(cart, (_i: CartDO, state) => {
      state.storage.sql.exec(`UPDATE idempotency SET created_at = ?`, Date.now() - IN_FLIGHT_STALE_MS - 1_000);
    });
    expect(await runDurableObjectAlarm(cart)).toBe(true);
    expect((await cart.beginCheckout("k1", "body-a", "req-2")).kind).toBe("start");
  });

  it("answers a checkout whose CartDO or OrderDO call threw 503 SERVICE_UNAVAILABLE with retry-after, never a 500", async () => {
    const unavailable = {
      replayed: false,
      requestId: "req-1",
      result: { ok: false, error: { code: "SERVICE_UNAVAILABLE", detail: "The checkout could not be completed right now; retry with the same Idempotency-Key." } },
    };
    // The key's claim throws: the CartDO was reset (or overloaded) mid-call.
    const claim = await checkout({ ...ordersEnv, CART: resetting("beginCheckout") } as unknown as OrdersEnv, uid("usr"), "k1", checkoutInput(), "req-1");
    expect(claim).toStrictEqual(unavailable);
    // A bug in the claim is not hidden as a 503: it reaches the gateway, which answers 500 and reports it.
    const buggy = { idFromName: (name: string) => ordersEnv.CART.idFromName(name), get: () => ({ beginCheckout: async () => Promise.reject(new TypeError("x is undefined")) }) };
    await expect(checkout({ ...ordersEnv, CART: buggy } as unknown as OrdersEnv, uid("usr"), "k1", checkoutInput(), "req-1")).rejects.toThrow("x is undefined");
    // The saga's call throws after the key was claimed: the same answer.
    const userId = uid("usr");
    const v = await stockedVariant(10);
    await cartOf(userId).addItem(v, 1, 10);
    const place = await checkout({ ...ordersEnv, ORDER: resetting("place") } as unknown as OrdersEnv, userId, "k1", checkoutInput(), "req-1");
    expect(place).toStrictEqual(unavailable);
    // What the gateway makes of it (shared/errors.ts, its one table): a 503 that says when to retry.
    if (claim.result.ok) throw new Error("expected a refusal");
    const res = problemResponse(claim.result.error, claim.requestId);
    expect([res.status, res.headers.get("retry-after"), res.headers.get("content-type")]).toStrictEqual([503, "1", "application/problem+json"]);
    expect(await res.json()).toStrictEqual({
      type: "https://edgeshop.dev/problems/service-unavailable",
      title: "Service unavailable",
      status: 503,
      code: "SERVICE_UNAVAILABLE",
      detail: "The checkout could not be completed right now; retry with the same Idempotency-Key.",
      requestId: "req-1",
    });
  });

  it("claims and settles a key reading a handful of rows however many checkouts the user made (indexed, not scanned)", async () => {
    const cart = cartOf(uid("usr"));
    const v = await stockedVariant(10);
    await cart.addItem(v, 1, 10);
    await runInDurableObject(cart, async (_i: CartDO, state) => {
      const now = Date.now();
      // A day of a busy account's finished checkouts, each with its stored response.
      const response = JSON.stringify({ ok: true, value: { note: "x".repeat(1500) } });
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO idempotency (key, body_hash, state, order_id, request_id, response, created_at, updated_at)
         SELECT 'old-' || i, 'h', 'done', 'ord-' || i, 'req', ?, ? - i, ? - i FROM n`,
        response, now, now,
      );
      // Every statement the claim, the alarm scheduling and the settlement run, with the rows each read.
      const { sql: counted, rowsRead } = countingSql(state.storage.sql);
      const begun = beginCheckout(counted, "k-new", "body", "req-new", now);
      expect(begun.kind).toBe("start");
      expect(oldestInFlight(counted)).toBe(now);
      if (begun.kind === "start") completeCheckout(counted, "k-new", begun.orderId, { ok: false, error: { code: "PAYMENT_DECLINED", message: "declined" } } as never, now);
      expect(oldestInFlight(counted)).toBeUndefined();
      expect(rowsRead()).toBeLessThan(50);
    });
  });
});
