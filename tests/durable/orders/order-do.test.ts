/// <reference types="@cloudflare/vitest-plugin/types" />
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { OrderDO } from "../../../durable/order-do.ts";
import type { DomainEvent } from "../../../shared/events.ts";
import { continueTrace, runWithTrace, traceArgOf } from "../../../shared/trace.ts";
import { orderEventId, publishOrderEvents, rememberEventTrace } from "../../../workers/orders/src/order-events.ts";
import { initialState, type OrderState, type SagaStep } from "../../../workers/orders/src/order-state.ts";
import { loadState } from "../../../workers/orders/src/order-store.ts";
import { available, begunCheckout, orderOf, ordersEnv, readState, service, writeState } from "./fixtures.ts";

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

async function alarmOf(stub: DurableObjectStub<OrderDO>): Promise<number | null> {
  return runInDurableObject(stub, (_i: OrderDO, state) => state.storage.getAlarm());
}

async function shipmentStatus(b: Begun): Promise<string | null> {
  const r = await ordersEnv.SHIPPING.getShipmentForOrder(b.input.orderId);
  return r.ok ? r.value.status : null;
}

/** Swaps the OrderDO's env for `patch` over the real one, as the instance's own (kept until the object is reset). */
function patchEnv(instance: OrderDO, patch: (env: OrdersEnv) => Partial<OrdersEnv>): void {
  const holder = instance as unknown as { env: OrdersEnv };
  holder.env = { ...holder.env, ...patch(holder.env) };
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

  it("a declined payment's record is kept with the failed order, so the order's outbox copies it to Postgres", async () => {
    const b = await begunCheckout(1, 5, "tok_chargeDeclined");
    const result = await b.order.place(b.input);
    expect(result).toMatchObject({ ok: false, error: { code: "PAYMENT_DECLINED" } });
    const s = (await readState(b.order))!;
    expect(s).toMatchObject({ status: "failed", pay: "failed", payment: { id: b.input.paymentId, status: "failed", orderId: b.input.orderId } });
    expect(await available(b.variant.sku)).toBe(5);
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

  it("a resumed saga names its order and continues the checkout's trace and request id", async () => {
    const b = await begunCheckout(2, 5);
    await reserve(b);
    await authorize(b);
    const checkoutTrace = { ...continueTrace(undefined), requestId: "req-interrupted" };
    await runInDurableObject(b.order, (_i: OrderDO, state) => runWithTrace(checkoutTrace, () => rememberEventTrace(state.storage.sql, "paid", b.input.orderId)));
    await interruptedAt(b, "authorizing", { stock: "reserved", pay: "maybe", recorded: true });
    const warned: string[] = [];
    const spy = vi.spyOn(console, "warn").mockImplementation((line: string) => void warned.push(line));
    try {
      await runDurableObjectAlarm(b.order);
    } finally {
      spy.mockRestore();
    }
    expect(await readState(b.order)).toMatchObject({ step: "failed", pay: "voided" });
    const resumed = warned.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === "order: the alarm resumes a saga its request left");
    expect(resumed).toEqual([expect.objectContaining({ orderId: b.input.orderId, paymentId: b.input.paymentId, step: "authorizing", requestId: "req-interrupted" })]);
    expect(resumed[0]?.trace).toContain(checkoutTrace.traceId);
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

describe("OrderDO follow-ups", () => {
  for (const change of ["applyShipmentStatus", "recordRefund"] as const) {
    it(`${change}: a reset before its follow-ups land leaves an alarm, which delivers the change to Postgres`, async () => {
      const b = await begunCheckout(1, 5);
      const who = { userId: b.userId, role: "customer" as const };
      expect((await b.order.place(b.input)).ok).toBe(true);
      if (change === "recordRefund") expect(await b.order.applyShipmentStatus("shipped", new Date().toISOString())).toStrictEqual({ ok: true, value: null });
      // Every follow-up so far is done: Postgres has the order as it is, and no alarm is left.
      await expect
        .poll(async () => {
          const s = await readState(b.order);
          return s !== null && s.shipmentCreated && s.deliveredVersion === s.version && (await alarmOf(b.order)) === null;
        }, { timeout: 15_000 })
        .toBe(true);
      const saved = await runInDurableObject(b.order, async (instance: OrderDO, state) => {
        // The follow-ups are still in flight (a queue send that never answers) when the object is reset, as a deploy does.
        state.storage.sql.exec("DELETE FROM published_events");
        patchEnv(instance, () => ({ EVENTS_QUEUE: { send: () => new Promise(() => {}), sendBatch: () => new Promise(() => {}) } as unknown as Queue }));
        const call = change === "applyShipmentStatus" ? instance.applyShipmentStatus("delivered", new Date().toISOString()) : instance.recordRefund(b.input.paymentId);
        void call.catch(() => undefined);
        for (let i = 0; i < 100 && loadState(state.storage.sql)!.deliveredVersion === loadState(state.storage.sql)!.version; i++) await new Promise((r) => setTimeout(r, 10));
        return { state: loadState(state.storage.sql)!, alarm: await state.storage.getAlarm() };
      });
      expect(saved.state.version).toBeGreaterThan(saved.state.deliveredVersion);
      expect(saved.state).toMatchObject(change === "applyShipmentStatus" ? { status: "delivered" } : { status: "shipped", pay: "refunded" });
      expect(saved.alarm).not.toBeNull();
      await expect(runInDurableObject(b.order, (_i: OrderDO, state) => state.abort("reset, as by a code update"))).rejects.toThrow();

      const order = orderOf(b.input.orderId); // a stub is unusable after it threw
      expect(await alarmOf(order)).not.toBeNull();
      await runDurableObjectAlarm(order);
      const s = (await readState(order))!;
      expect(s.deliveredVersion).toBe(s.version);
      const fromPostgres = await service.getOrder(who, b.input.orderId);
      expect(fromPostgres.ok && [fromPostgres.value.status, fromPostgres.value.payment.status]).toStrictEqual(change === "applyShipmentStatus" ? ["delivered", "captured"] : ["shipped", "refunded"]);
      expect(await alarmOf(order)).toBeNull();
    });
  }

  it("cancels the shipment of a cancelled order whose creation counted as failed, and never creates it again", async () => {
    const b = await begunCheckout(1, 5);
    const who = { userId: b.userId, role: "customer" as const };
    let creations = 0;
    const placed = await runInDurableObject(b.order, async (instance: OrderDO) => {
      // The shipment row is written, but its event's publish fails (a queue outage): the call answers SERVICE_UNAVAILABLE.
      patchEnv(instance, (env) => ({
        SHIPPING: {
          quote: (...args: Parameters<OrdersEnv["SHIPPING"]["quote"]>) => env.SHIPPING.quote(...args),
          cancelShipment: (orderId: string) => env.SHIPPING.cancelShipment(orderId),
          createShipment: async (orderId: string, userId: string) => {
            creations++;
            await env.SHIPPING.createShipment(orderId, userId);
            return { ok: false, error: { code: "SERVICE_UNAVAILABLE" } };
          },
        } as unknown as OrdersEnv["SHIPPING"],
      }));
      return instance.place(b.input);
    });
    expect(placed.ok && placed.value.status).toBe("paid");
    await expect.poll(() => creations, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(await shipmentStatus(b)).toBe("pending");

    // The customer cancels before any retry of the creation succeeds.
    const cancelled = await b.order.cancelOrder(who);
    expect(cancelled.ok && cancelled.value.status).toBe("cancelled");
    const creationsAtCancel = creations;
    await runDurableObjectAlarm(b.order); // what the cancel's follow-ups left, if anything
    await expect.poll(() => shipmentStatus(b), { timeout: 15_000 }).toBe("cancelled");
    expect(await readState(b.order)).toMatchObject({ status: "cancelled", shipmentCreated: false, shipmentCancelled: true });
    await expect.poll(() => alarmOf(b.order), { timeout: 15_000 }).toBeNull();
    expect(creations).toBe(creationsAtCancel);
  });
});
