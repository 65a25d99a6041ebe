import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { notifications, processedEvents, salesDaily, users } from "../../../shared/db/schema/index.ts";
import type { DomainEvent } from "../../../shared/events.ts";
import { newId } from "../../../shared/ids.ts";
import { renderEmail, type EmailProvider } from "./email.ts";

/**
 * Records and sends one email per event. The unique event_id makes a
 * redelivered event a no-op; a provider failure leaves the row `failed`.
 */
export async function notify(db: Database, event: DomainEvent, provider: EmailProvider): Promise<void> {
  const [user] = event.data.userId ? await db.select({ email: users.email }).from(users).where(eq(users.id, event.data.userId)).limit(1) : [];
  const email = renderEmail(event, user?.email ?? "unknown@edgeshop.invalid");
  const id = newId("ntf");
  const inserted = await db
    .insert(notifications)
    .values({ id, eventId: event.id, eventType: event.type, orderId: event.data.orderId, recipient: email.to, subject: email.subject, body: email.body })
    .onConflictDoNothing({ target: notifications.eventId })
    .returning({ id: notifications.id });
  if (inserted.length === 0) return; // already recorded by an earlier delivery
  const result = await provider.send(email);
  await db
    .update(notifications)
    .set(result.ok ? { status: "sent", sentAt: new Date() } : { status: "failed" })
    .where(eq(notifications.id, id));
}

/**
 * Per-day, per-SKU units and revenue: placed orders add, cancellations
 * subtract. The processed_events row and the counters commit in one
 * transaction, so a duplicate delivery never counts twice.
 */
export async function recordSales(db: Database, event: DomainEvent): Promise<void> {
  if (event.type !== "order.placed" && event.type !== "order.cancelled") return;
  const sign = event.type === "order.placed" ? 1 : -1;
  const day = event.occurredAt.slice(0, 10);
  await db.transaction(async (tx) => {
    const claimed = await tx
      .insert(processedEvents)
      .values({ consumer: "sales", eventId: event.id })
      .onConflictDoNothing()
      .returning({ eventId: processedEvents.eventId });
    if (claimed.length === 0) return;
    for (const item of event.data.items ?? []) {
      await tx
        .insert(salesDaily)
        .values({ day, sku: item.sku, currency: item.lineTotal.currency, units: sign * item.quantity, revenue: sign * item.lineTotal.amount })
        .onConflictDoUpdate({
          target: [salesDaily.day, salesDaily.sku, salesDaily.currency],
          set: { units: sql`${salesDaily.units} + ${sign * item.quantity}`, revenue: sql`${salesDaily.revenue} + ${sign * item.lineTotal.amount}` },
        });
    }
  });
}

/** True when `consumer` already applied `eventId` (used by tests and admin views). */
export async function wasProcessed(db: Database, consumer: string, eventId: string): Promise<boolean> {
  const rows = await db.select().from(processedEvents).where(and(eq(processedEvents.consumer, consumer), eq(processedEvents.eventId, eventId))).limit(1);
  return rows.length > 0;
}
