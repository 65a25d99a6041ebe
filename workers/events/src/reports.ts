import { and, asc, desc, eq, gte, lt, lte, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { deadLetters, notifications, salesDaily } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { decodeCursor, decodeTimeCursor, encodeTimeCursor, toPage, type Page } from "../../../shared/pagination.ts";
import type { Money } from "../../../shared/schemas/common.ts";

/** `?limit=` (validated 1-100 at the gateway) and `?cursor=` of an admin list. */
export interface ListQuery {
  limit: number;
  cursor?: string | undefined;
}

const invalidCursor = () => fail("VALIDATION_FAILED", "Invalid cursor.", [{ path: "cursor", message: "Invalid cursor" }]);

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

/** Recorded notifications, newest first (keyset on their time-ordered ids), optionally for one order. */
export async function listNotificationPage(db: Database, query: ListQuery & { orderId?: string | undefined }): Promise<Result<Page<NotificationView>>> {
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (before === null) return invalidCursor();
  const rows = await db
    .select()
    .from(notifications)
    .where(and(query.orderId ? eq(notifications.orderId, query.orderId) : undefined, before ? lt(notifications.id, before) : undefined))
    .orderBy(desc(notifications.id))
    .limit(query.limit + 1);
  const views = rows.map((r) => ({
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
  return ok(toPage(views, query.limit));
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

/**
 * Dead letters, newest first. Their ids are the queue's message ids, in no
 * order, so pages are keyed on the time received (to the millisecond, as the
 * cursor carries it), then the id.
 */
export async function listDeadLetterPage(db: Database, query: ListQuery): Promise<Result<Page<DeadLetterView>>> {
  const before = query.cursor === undefined ? undefined : decodeTimeCursor(query.cursor);
  if (before === null) return invalidCursor();
  const receivedMs = sql`date_trunc('milliseconds', ${deadLetters.receivedAt})`;
  const rows = await db
    .select()
    .from(deadLetters)
    .where(before ? sql`(${receivedMs}, ${deadLetters.id}) < (${before.at.toISOString()}::timestamptz, ${before.id})` : undefined)
    .orderBy(desc(receivedMs), desc(deadLetters.id))
    .limit(query.limit + 1);
  const views = rows.map((r) => ({ id: r.id, queue: r.queue, body: r.body, attempts: r.attempts, receivedAt: r.receivedAt.toISOString() }));
  return ok(toPage(views, query.limit, (last) => encodeTimeCursor(new Date(last.receivedAt), last.id)));
}
