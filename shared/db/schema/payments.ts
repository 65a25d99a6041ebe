import { sql, type SQL } from "drizzle-orm";
import { bigint, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { PaymentSummary } from "../../schemas/payments.ts";

/**
 * Payment records. The PaymentDO (one per payment) is the source of truth;
 * these rows are its durable, queryable copy, written after each change by the
 * payments Worker and again by the OrderDO outbox, so every write is an
 * idempotent upsert on `id` (see `paymentUpsert`). Only provider tokens and
 * references live here: never a card number or CVC.
 */
export const payments = pgTable(
  "payments",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull(),
    userId: text("user_id").notNull(),
    status: text("status", { enum: ["authorized", "captured", "voided", "refunded", "failed"] }).notNull(),
    /** Minor units; bigint because Money allows more than 2^31. */
    amount: bigint("amount", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    provider: text("provider").notNull(),
    providerRef: text("provider_ref"),
    last4: text("last4"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("payments_order_idx").on(t.orderId, t.createdAt)],
);

/** Webhook events already applied: the primary key makes a redelivery (even a concurrent one) a no-op. */
export const paymentWebhookEvents = pgTable("payment_webhook_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  paymentId: text("payment_id").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

export type PaymentRow = typeof payments.$inferSelect;
export type NewPaymentRow = typeof payments.$inferInsert;

/** Row values for a summary; `providerRef` is known only to the payments Worker. */
export function paymentRow(p: PaymentSummary, providerRef?: string): NewPaymentRow {
  return {
    id: p.id,
    orderId: p.orderId,
    userId: p.userId,
    status: p.status,
    amount: p.amount.amount,
    currency: p.amount.currency,
    provider: p.provider,
    providerRef: providerRef ?? null,
    last4: p.last4 ?? null,
    createdAt: new Date(p.createdAt),
    updatedAt: new Date(),
  };
}

/** authorized (1) < captured | voided | failed (2) < refunded (3): a status never moves backwards. */
function rank(status: SQL): SQL {
  return sql`(case ${status} when 'authorized' then 1 when 'refunded' then 3 else 2 end)`;
}

/**
 * The `onConflictDoUpdate` config every writer of `payments` uses:
 * `db.insert(payments).values(paymentRow(s)).onConflictDoUpdate(paymentUpsert)`.
 * Writers race (payments Worker, OrderDO outbox, webhooks) and may deliver an
 * older state last, so the status only moves forward and known references are
 * never overwritten with null.
 */
export const paymentUpsert = {
  target: payments.id,
  set: {
    status: sql`case when ${rank(sql`excluded.status`)} > ${rank(sql`${payments.status}`)} then excluded.status else ${payments.status} end`,
    providerRef: sql`coalesce(excluded.provider_ref, ${payments.providerRef})`,
    last4: sql`coalesce(excluded.last4, ${payments.last4})`,
    updatedAt: sql`greatest(excluded.updated_at, ${payments.updatedAt})`,
  },
};
