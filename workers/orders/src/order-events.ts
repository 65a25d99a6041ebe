import type { DomainEvent } from "../../../shared/events.ts";
import { domainEvent } from "../../../shared/events.ts";
import { storedTrace, type StoredTrace } from "../../../shared/trace.ts";
import { toOrder, type OrderState } from "./order-state.ts";

/**
 * The order's status history is persisted atomically with every state
 * change, so it doubles as the event outbox: each `paid` / `cancelled` entry
 * is one event with an id derived from it, published until the queue has
 * accepted it (at-least-once; consumers deduplicate by id).
 */
/** The id of an order's `paid` (order.placed) or `cancelled` (order.cancelled) event. */
export function orderEventId(status: "paid" | "cancelled", orderId: string): string {
  return `evt_order_${status}_${orderId}`;
}

const TRACES_TABLE = "CREATE TABLE IF NOT EXISTS event_traces (id TEXT PRIMARY KEY, trace TEXT NOT NULL)";

/**
 * Keeps the trace of the call that asked for an event (a checkout for order.placed, a cancel for
 * order.cancelled), so the event carries it even when the alarm finishes the saga or publishes it
 * after the queue refused: the alarm runs under a trace of its own. The first call's trace stays.
 */
export function rememberEventTrace(sql: SqlStorage, status: "paid" | "cancelled", orderId: string): void {
  const trace = storedTrace();
  if (!trace) return;
  sql.exec(TRACES_TABLE);
  sql.exec("INSERT OR IGNORE INTO event_traces (id, trace) VALUES (?, ?)", orderEventId(status, orderId), JSON.stringify(trace));
}

/** The trace `rememberEventTrace` kept for the call that asked for `status` (the checkout or the cancel). */
export function rememberedTrace(sql: SqlStorage, status: "paid" | "cancelled", orderId: string): StoredTrace | undefined {
  sql.exec(TRACES_TABLE);
  const row = sql.exec<{ trace: string }>("SELECT trace FROM event_traces WHERE id = ?", orderEventId(status, orderId)).toArray()[0];
  return row ? (JSON.parse(row.trace) as StoredTrace) : undefined;
}

function rememberedTraces(sql: SqlStorage): Map<string, StoredTrace> {
  sql.exec(TRACES_TABLE);
  return new Map(sql.exec<{ id: string; trace: string }>("SELECT id, trace FROM event_traces").toArray().map((r) => [r.id, JSON.parse(r.trace) as StoredTrace]));
}

export function orderEvents(s: OrderState): DomainEvent[] {
  const order = toOrder(s);
  const items = order.items.map((i) => ({ sku: i.sku, title: i.title, quantity: i.quantity, lineTotal: i.lineTotal }));
  return s.history
    .filter((h) => h.status === "paid" || h.status === "cancelled")
    .map((h) => {
      const status = h.status === "paid" ? "paid" : "cancelled";
      const event = domainEvent(status === "paid" ? "order.placed" : "order.cancelled", { orderId: s.orderId, userId: s.userId, items, total: order.total }, orderEventId(status, s.orderId));
      return { ...event, occurredAt: h.at };
    });
}

/** Publishes the order's events not yet accepted by the queue; throws when the queue refuses. */
export async function publishOrderEvents(sql: SqlStorage, s: OrderState, queue: Queue): Promise<void> {
  sql.exec("CREATE TABLE IF NOT EXISTS published_events (id TEXT PRIMARY KEY)");
  const published = new Set(sql.exec<{ id: string }>("SELECT id FROM published_events").toArray().map((r) => r.id));
  const traces = rememberedTraces(sql);
  const pending = orderEvents(s)
    .filter((e) => !published.has(e.id))
    .map((e) => (traces.has(e.id) ? { ...e, trace: traces.get(e.id) } : e));
  if (pending.length === 0) return;
  await queue.sendBatch(pending.map((body) => ({ body })));
  for (const e of pending) sql.exec("INSERT OR IGNORE INTO published_events (id) VALUES (?)", e.id);
}
