import { and, asc, desc, eq, gte, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
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
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, "ntf");
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

/** Day-SKU rows one report lists at most. */
export const MAX_REPORT_ROWS = 10_000;

export interface SalesReport {
  from: string;
  to: string;
  items: { day: string; sku: string; units: number; revenue: Money }[];
  /** Over the whole range, listed rows or not. */
  totals: { units: number; revenue: Money[] };
  /** True when the range holds more than `MAX_REPORT_ROWS` rows: `items` are its first ones (by day, then SKU). */
  truncated: boolean;
}

/**
 * Units and revenue per day and SKU between two dates (inclusive), with
 * totals per currency summed by Postgres over the whole range, so a range of
 * more rows than a report lists still adds up (and says it was cut short).
 */
export async function salesReport(db: Database, from: string, to: string): Promise<SalesReport> {
  const inRange = and(gte(salesDaily.day, from), lte(salesDaily.day, to));
  const [rows, sums] = await Promise.all([
    db.select().from(salesDaily).where(inRange).orderBy(asc(salesDaily.day), asc(salesDaily.sku)).limit(MAX_REPORT_ROWS + 1),
    db
      .select({ currency: salesDaily.currency, units: sql<string>`sum(${salesDaily.units})`, revenue: sql<string>`sum(${salesDaily.revenue})` })
      .from(salesDaily)
      .where(inRange)
      .groupBy(salesDaily.currency)
      .orderBy(asc(salesDaily.currency)),
  ]);
  const listed = rows.slice(0, MAX_REPORT_ROWS);
  return {
    from,
    to,
    items: listed.map((r) => ({ day: r.day, sku: r.sku, units: r.units, revenue: { amount: r.revenue, currency: r.currency } })),
    totals: {
      units: sums.reduce((n, s) => n + Number(s.units), 0),
      revenue: sums.map((s) => ({ amount: Number(s.revenue), currency: s.currency })),
    },
    truncated: rows.length > MAX_REPORT_ROWS,
  };
}

export interface DeadLetterView {
  id: string;
  queue: string;
  body: unknown;
  attempts: number;
  receivedAt: string;
  /** When a replay first applied it (`replayDeadLetter`); null until then. */
  replayedAt: string | null;
}

/** A `dead_letters` row as admins see it. */
export function deadLetterView(r: typeof deadLetters.$inferSelect): DeadLetterView {
  return { id: r.id, queue: r.queue, body: r.body, attempts: r.attempts, receivedAt: r.receivedAt.toISOString(), replayedAt: r.replayedAt?.toISOString() ?? null };
}

/** `?replayed=`: only letters replayed (true) or not yet (false); absent, all of them. */
export interface DeadLetterQuery extends ListQuery {
  replayed?: boolean | undefined;
}

/**
 * Dead letters, newest first. Their ids are the queue's message ids, in no
 * order, so pages are keyed on the time received (to the millisecond, as the
 * cursor carries it), then the id.
 */
export async function listDeadLetterPage(db: Database, query: DeadLetterQuery): Promise<Result<Page<DeadLetterView>>> {
  const before = query.cursor === undefined ? undefined : decodeTimeCursor(query.cursor);
  if (before === null) return invalidCursor();
  const receivedMs = sql`date_trunc('milliseconds', ${deadLetters.receivedAt})`;
  const replayed = query.replayed === undefined ? undefined : query.replayed ? isNotNull(deadLetters.replayedAt) : isNull(deadLetters.replayedAt);
  const rows = await db
    .select()
    .from(deadLetters)
    .where(and(before ? sql`(${receivedMs}, ${deadLetters.id}) < (${before.at.toISOString()}::timestamptz, ${before.id})` : undefined, replayed))
    .orderBy(desc(receivedMs), desc(deadLetters.id))
    .limit(query.limit + 1);
  return ok(toPage(rows.map(deadLetterView), query.limit, (last) => encodeTimeCursor(new Date(last.receivedAt), last.id)));
}
