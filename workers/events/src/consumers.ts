import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { notifications, processedEvents, salesDaily, users } from "../../../shared/db/schema/index.ts";
import type { DomainEvent } from "../../../shared/events.ts";
import { newId } from "../../../shared/ids.ts";
import { renderEmail, type EmailProvider } from "./email.ts";
import { cancelRefundedOrders } from "./refunds.ts";

/** True when `consumer` already applied `eventId` (used by tests and admin views). */
export async function wasProcessed(db: Database, consumer: string, eventId: string): Promise<boolean> {
  const rows = await db.select().from(processedEvents).where(and(eq(processedEvents.consumer, consumer), eq(processedEvents.eventId, eventId))).limit(1);
  return rows.length > 0;
}

/**
 * Applies domain events, at-least-once deliveries of them included, in a
 * handful of statements however many there are:
 * - one email per event: one lookup of the recipients, one insert of the
 *   notifications (the unique event id skips those recorded by an earlier
 *   delivery), one update per outcome (a provider failure leaves `failed`);
 * - sales analytics: one transaction that claims the placed and cancelled
 *   orders' events (`processed_events`) and adds their units and revenue
 *   per day, SKU and currency, so a duplicate never counts twice.
 * - refunds: a payment refunded at the provider cancels its paid order
 *   (`cancelRefundedOrders`), first, so a failure retries before anything
 *   else is recorded.
 * Duplicates within `events` count once. Throws when a statement fails.
 */
export async function applyEvents(db: Database, events: DomainEvent[], provider: EmailProvider, orders: EventsEnv["ORDERS"]): Promise<void> {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()];
  if (unique.length === 0) return;
  await cancelRefundedOrders(orders, unique);
  const userIds = [...new Set(unique.flatMap((e) => (e.data.userId ? [e.data.userId] : [])))];
  const emails = new Map(
    userIds.length === 0 ? [] : (await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, userIds))).map((u) => [u.id, u.email]),
  );
  const rendered = unique.map((e) => ({ id: newId("ntf"), event: e, email: renderEmail(e, (e.data.userId && emails.get(e.data.userId)) || "unknown@edgeshop.invalid") }));
  const inserted = new Set(
    (
      await db
        .insert(notifications)
        .values(rendered.map((r) => ({ id: r.id, eventId: r.event.id, eventType: r.event.type, orderId: r.event.data.orderId, recipient: r.email.to, subject: r.email.subject, body: r.email.body })))
        .onConflictDoNothing({ target: notifications.eventId })
        .returning({ id: notifications.id })
    ).map((r) => r.id),
  );
  const sent: string[] = [];
  const failed: string[] = [];
  for (const r of rendered) if (inserted.has(r.id)) ((await provider.send(r.email)).ok ? sent : failed).push(r.id);
  if (sent.length > 0) await db.update(notifications).set({ status: "sent", sentAt: new Date() }).where(inArray(notifications.id, sent));
  if (failed.length > 0) await db.update(notifications).set({ status: "failed" }).where(inArray(notifications.id, failed));

  const sales = unique.filter((e) => e.type === "order.placed" || e.type === "order.cancelled");
  if (sales.length === 0) return;
  await db.transaction(async (tx) => {
    const claimed = new Set(
      (
        await tx
          .insert(processedEvents)
          .values(sales.map((e) => ({ consumer: "sales", eventId: e.id })))
          .onConflictDoNothing()
          .returning({ eventId: processedEvents.eventId })
      ).map((r) => r.eventId),
    );
    const totals = new Map<string, { day: string; sku: string; currency: string; units: number; revenue: number }>();
    for (const e of sales) {
      if (!claimed.has(e.id)) continue;
      const sign = e.type === "order.placed" ? 1 : -1;
      const day = e.occurredAt.slice(0, 10);
      for (const item of e.data.items ?? []) {
        const key = `${day}\u0000${item.sku}\u0000${item.lineTotal.currency}`;
        const t = totals.get(key) ?? { day, sku: item.sku, currency: item.lineTotal.currency, units: 0, revenue: 0 };
        t.units += sign * item.quantity;
        t.revenue += sign * item.lineTotal.amount;
        totals.set(key, t);
      }
    }
    if (totals.size === 0) return;
    await tx
      .insert(salesDaily)
      .values([...totals.values()])
      .onConflictDoUpdate({
        target: [salesDaily.day, salesDaily.sku, salesDaily.currency],
        set: { units: sql`${salesDaily.units} + excluded.units`, revenue: sql`${salesDaily.revenue} + excluded.revenue` },
      });
  });
}
