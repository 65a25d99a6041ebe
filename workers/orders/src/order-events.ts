import type { DomainEvent } from "../../../shared/events.ts";
import { domainEvent } from "../../../shared/events.ts";
import { toOrder, type OrderState } from "./order-state.ts";

/**
 * The order's status history is persisted atomically with every state
 * change, so it doubles as the event outbox: each `paid` / `cancelled` entry
 * is one event with an id derived from it, published until the queue has
 * accepted it (at-least-once; consumers deduplicate by id).
 */
export function orderEvents(s: OrderState): DomainEvent[] {
  const order = toOrder(s);
  const items = order.items.map((i) => ({ sku: i.sku, title: i.title, quantity: i.quantity, lineTotal: i.lineTotal }));
  return s.history
    .filter((h) => h.status === "paid" || h.status === "cancelled")
    .map((h) => {
      const event = domainEvent(h.status === "paid" ? "order.placed" : "order.cancelled", { orderId: s.orderId, userId: s.userId, items, total: order.total }, `evt_order_${h.status}_${s.orderId}`);
      return { ...event, occurredAt: h.at };
    });
}

/** Publishes the order's events not yet accepted by the queue; throws when the queue refuses. */
export async function publishOrderEvents(sql: SqlStorage, s: OrderState, queue: Queue): Promise<void> {
  sql.exec("CREATE TABLE IF NOT EXISTS published_events (id TEXT PRIMARY KEY)");
  const published = new Set(sql.exec<{ id: string }>("SELECT id FROM published_events").toArray().map((r) => r.id));
  const pending = orderEvents(s).filter((e) => !published.has(e.id));
  if (pending.length === 0) return;
  await queue.sendBatch(pending.map((body) => ({ body })));
  for (const e of pending) sql.exec("INSERT OR IGNORE INTO published_events (id) VALUES (?)", e.id);
}
