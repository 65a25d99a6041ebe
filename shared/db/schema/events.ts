import { bigint, integer, pgTable, primaryKey, text, timestamp, jsonb, date, index } from "drizzle-orm/pg-core";

/** One rendered email per (event, template); `status` follows the provider's answer. */
export const notifications = pgTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull().unique("notifications_event_unique"),
    eventType: text("event_type").notNull(),
    orderId: text("order_id"),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] }).notNull().default("pending"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("notifications_order_idx").on(t.orderId)],
);

/** Which consumer already applied which event: the at-least-once queue's dedupe record. */
export const processedEvents = pgTable(
  "processed_events",
  {
    consumer: text("consumer").notNull(),
    eventId: text("event_id").notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

/** Units and revenue per day and SKU (minor units, one row per currency). */
export const salesDaily = pgTable(
  "sales_daily",
  {
    day: date("day", { mode: "string" }).notNull(),
    sku: text("sku").notNull(),
    currency: text("currency").notNull(),
    // bigint: a day's revenue of one SKU passes 2^31 minor units (about 21 million dollars) easily enough.
    units: bigint("units", { mode: "number" }).notNull().default(0),
    revenue: bigint("revenue", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.sku, t.currency] })],
);

/**
 * Messages the queue gave up on after its retries, kept for admins to inspect
 * and replay (`POST /v1/admin/dead-letters/{id}/replay`). `replayed_at` is the
 * first replay that applied the letter; null until then.
 */
export const deadLetters = pgTable("dead_letters", {
  id: text("id").primaryKey(),
  queue: text("queue").notNull(),
  body: jsonb("body").notNull(),
  attempts: integer("attempts").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  replayedAt: timestamp("replayed_at", { withTimezone: true, mode: "date" }),
});
