/// <reference types="@cloudflare/vitest-plugin/types" />
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { OrderDO } from "../../../durable/order-do.ts";
import type { DomainEvent } from "../../../shared/events.ts";
import { traceArgOf } from "../../../shared/trace.ts";
import { orderEventId, publishOrderEvents } from "../../../workers/orders/src/order-events.ts";
import { initialState, type OrderState, type SagaStep } from "../../../workers/orders/src/order-state.ts";
import { loadState } from "../../../workers/orders/src/order-store.ts";
import { available, begunCheckout, ordersEnv, readState, service, writeState } from "./fixtures.ts";

type Begun = Awaited<ReturnType<typeof begunCheckout>>;

/** Persists the saga as a Worker that died right after `step`'s remote call would leave it. */
async function interruptedAt(b: Begun, step: SagaStep, patch: Partial<OrderState>): Promise<void> {
  const s = { ...initialState(b.input, new Date()), step, shipping: 599, ...patch };
  await writeState(b.order, s);
}

async function reserve(b: Begun): Promise<void> {
  const r = await ordersEnv.CATALOG.reserve(b.input.orderId, [{ sku: b.variant.sku, quantity: b.input.lines[0]!.quantity }], 300);
  expect(r.ok).toBe(true);
}

async function authorize(b: Begun): Promise<void> {
  const a = await ordersEnv.PAYMENTS.authorize({
    paymentId: b.input.paymentId, orderId: b.input.orderId, userId: b.userId, amount: { amount: 2599, currency: "USD" }, token: "tok_visa",
  });
  expect(a.ok).toBe(true);
}

async function paymentStatus(b: Begun): Promise<string | undefined> {
  return (await ordersEnv.PAYMENTS.getPayment(b.input.paymentId))?.status;
}

describe("OrderDO events keep the trace of the call that caused them", () => {
  it("an order.placed published later, outside any call (as by the alarm), carries the checkout's trace", async () => {
    const b = await begunCheckout(1, 5);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const checkoutTrace = { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, requestId: "req-event-trace" };
    // As the orders Worker calls it: the trace travels as the marked last argument.
    const placed = await (b.order.place as unknown as (...args: unknown[]) => Promise<{ ok: boolean }>)(b.input, traceArgOf(checkoutTrace));
    expect(placed.ok).toBe(true);
    const sent = await runInDurableObject(b.order, async (_i: OrderDO, state) => {
      const sql = state.storage.sql;
      sql.exec("DELETE FROM published_events"); // as if the queue had refused the first attempt
      const bodies: DomainEvent[] = [];
      const queue = { sendBatch: async (batch: { body: DomainEvent }[]) => void bodies.push(...batch.map((m) => m.body)) } as unknown as Queue;
      await publishOrderEvents(sql, loadState(sql)!, queue);
      return bodies;
    });
    expect(sent.map((e) => e.id)).toStrictEqual([orderEventId("paid", b.input.orderId)]);
    expect(sent[0]!.trace?.requestId).toBe("req-event-trace");
    expect(sent[0]!.trace?.traceparent.split("-")[1]).toBe(traceId);
  });
});

describe("OrderDO saga", () => {
  it("runs a checkout to paid: stock committed, payment captured, cart told and emptied", async () => {
    const b = await begunCheckout(2, 10);
    const result = await b.order.place(b.input);
    expect(result.ok && result.value.status).toBe("paid");
    expect(await available(b.variant.sku)).toBe(8);
    expect(await paymentStatus(b)).toBe("captured");
    expect((await b.cart.getCart()).items).toStrictEqual([]);
    const replay = await b.cart.beginCheckout(b.key, "hash-1", "req-2");
    expect(replay).toStrictEqual({ kind: "replay", requestId: "req-1", result });
    // Placing again (a retried RPC) runs nothing twice.
    expect(await b.order.place(b.input)).toStrictEqual(result);
    expect(await available(b.variant.sku)).toBe(8);
  });

  it("interrupted before reserving: the alarm fails it, holds nothing and frees the key", async () => {
    const b = await begunCheckout(1, 5);
    await interruptedAt(b, "quoting", {});
    expect(await runDurableObjectAlarm(b.order)).toBe(true);
    expect(await readState(b.order)).toMatchObject({ step: "failed", status: "failed", stock: "none", pay: "none", cartNotified: true });
    expect(await available(b.variant.sku)).toBe(5);
    expect((await b.cart.beginCheckout(b.key, "hash-1", "req-2")).kind).toBe("start");
  });

  it("interrupted after the reservation: the alarm releases it", async () => {
    const b = await begunCheckout(3, 5);
    await reserve(b);
    expect(await available(b.variant.sku)).toBe(2);
    await interruptedAt(b, "reserving", { stock: "maybe" });
    await runDurableObjectAlarm(b.order);
    expect(await readState(b.order)).toMatchObject({ step: "failed", status: "failed", stock: "released" });
    expect(await available(b.variant.sku)).toBe(5);
  });

  it("interrupted after the authorisation: the alarm voids it and releases the stock", async () => {
    const b = await begunCheckout(2, 5);
    await reserve(b);
    await authorize(b);
    await interruptedAt(b, "authorizing", { stock: "reserved", pay: "maybe", recorded: true });
    await runDurableObjectAlarm(b.order);
    expect(await readState(b.order)).toMatchObject({ step: "failed", status: "failed", stock: "released", pay: "voided" });
    expect(await available(b.variant.sku)).toBe(5);
    expect(await paymentStatus(b)).toBe("voided");
  });

  it("interrupted before capture: the alarm finishes it forward to paid and stores the replay", async () => {
    const b = await begunCheckout(2, 5);
    await reserve(b);
    await authorize(b);
    await interruptedAt(b, "capturing", { stock: "reserved", pay: "authorized", recorded: true, token: null });
    await runDurableObjectAlarm(b.order);
    const s = await readState(b.order);
    expect(s).toMatchObject({ step: "paid", status: "paid", stock: "committed", pay: "captured", cartNotified: true });
    expect(await available(b.variant.sku)).toBe(3);
    expect(await paymentStatus(b)).toBe("captured");
    const replay = await b.cart.beginCheckout(b.key, "hash-1", "req-2");
    expect(replay.kind === "replay" && replay.result.ok && replay.result.value.status).toBe("paid");
    expect((await b.cart.getCart()).items).toStrictEqual([]);
  });

  it("interrupted mid-cancel: the alarm finishes the refund and restock", async () => {
    const b = await begunCheckout(2, 5);
    expect((await b.order.place(b.input)).ok).toBe(true);
    const paid = (await readState(b.order))!;
    await writeState(b.order, { ...paid, step: "cancelling" });
    await runDurableObjectAlarm(b.order);
    expect(await readState(b.order)).toMatchObject({ step: "cancelled", status: "cancelled", pay: "refunded", stock: "restocked" });
    expect(await available(b.variant.sku)).toBe(5);
    expect(await paymentStatus(b)).toBe("refunded");
  });

  it("acknowledges a checkout while Postgres is down and delivers the order once it is back", async () => {
    const b = await begunCheckout(1, 5);
    const who = { userId: b.userId, role: "customer" as const };
    const result = await runInDurableObject(b.order, async (instance: OrderDO) => {
      const holder = instance as unknown as { env: OrdersEnv };
      const down = new URL(holder.env.DATABASE_URL);
      down.port = "9"; // nothing listens there: the proxy is up, Postgres is not
      holder.env = { ...holder.env, DATABASE_URL: down.toString() };
      return instance.place(b.input);
    });
    expect(result.ok && result.value.status).toBe("paid");
    await expect.poll(async () => (await readState(b.order))?.outboxAttempts, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect((await readState(b.order))!.deliveredVersion).toBe(0);
    const listed = await service.listOrders(who, { limit: 10 });
    expect(listed.ok && listed.value.items).toStrictEqual([]);
    await runInDurableObject(b.order, (instance: OrderDO) => {
      const holder = instance as unknown as { env: OrdersEnv };
      holder.env = ordersEnv; // Postgres is back
    });
    await runDurableObjectAlarm(b.order);
    const s = (await readState(b.order))!;
    expect(s.deliveredVersion).toBe(s.version);
    const after = await service.listOrders(who, { limit: 10 });
    expect(after.ok && after.value.items).toStrictEqual([result.ok ? result.value : null]);
  });
});
