import { and, asc, desc, eq, gte, lte } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { deadLetters, notifications, salesDaily } from "../../../shared/db/schema/index.ts";
import type { Money } from "../../../shared/schemas/common.ts";

export interface NotificationView {
  id: string;
  eventId: string;
  eventType: string;
  orderId: string | null;
  recipient: string;
  subject: string;
  status: string;
  createdAt: string;
  sentAt: string | null;
}

/** Recorded notifications, newest first, optionally for one order. */
export async function listNotifications(db: Database, orderId?: string): Promise<NotificationView[]> {
  const rows = await db
    .select()
    .from(notifications)
    .where(orderId ? eq(notifications.orderId, orderId) : undefined)
    .orderBy(desc(notifications.id))
    .limit(100);
  return rows.map((r) => ({
    id: r.id,
    eventId: r.eventId,
    eventType: r.eventType,
    orderId: r.orderId,
    recipient: r.recipient,
    subject: r.subject,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    sentAt: r.sentAt?.toISOString() ?? null,
  }));
}

export interface SalesReport {
  from: string;
  to: string;
  items: { day: string; sku: string; units: number; revenue: Money }[];
  totals: { units: number; revenue: Money[] };
}

/** Units and revenue per day and SKU between two dates (inclusive), with totals per currency. */
export async function salesReport(db: Database, from: string, to: string): Promise<SalesReport> {
  const rows = await db
    .select()
    .from(salesDaily)
    .where(and(gte(salesDaily.day, from), lte(salesDaily.day, to)))
    .orderBy(asc(salesDaily.day), asc(salesDaily.sku))
    .limit(10_000);
  const byCurrency = new Map<string, number>();
  let units = 0;
  for (const r of rows) {
    units += r.units;
    byCurrency.set(r.currency, (byCurrency.get(r.currency) ?? 0) + r.revenue);
  }
  return {
    from,
    to,
    items: rows.map((r) => ({ day: r.day, sku: r.sku, units: r.units, revenue: { amount: r.revenue, currency: r.currency } })),
    totals: { units, revenue: [...byCurrency].map(([currency, amount]) => ({ amount, currency })) },
  };
}

export interface DeadLetterView {
  id: string;
  queue: string;
  body: unknown;
  attempts: number;
  receivedAt: string;
}

export async function listDeadLetters(db: Database): Promise<DeadLetterView[]> {
  const rows = await db.select().from(deadLetters).orderBy(desc(deadLetters.receivedAt)).limit(100);
  return rows.map((r) => ({ id: r.id, queue: r.queue, body: r.body, attempts: r.attempts, receivedAt: r.receivedAt.toISOString() }));
}
