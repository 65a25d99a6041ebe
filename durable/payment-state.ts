// Types and transition tables of the PaymentDO, kept apart so the DO file stays about behaviour.
import type { Result } from "../shared/errors.ts";
import type { Money } from "../shared/schemas/common.ts";
import type { PaymentStatus, PaymentSummary, WebhookEvent } from "../shared/schemas/payments.ts";

/** A summary plus what only the payments Worker keeps (the provider's reference). */
export interface PaymentRecord extends PaymentSummary {
  providerRef?: string;
}

/** What every PaymentDO method answers: the caller's result and the record to copy to Postgres. */
export interface PaymentOutcome {
  result: Result<PaymentSummary>;
  record: PaymentRecord | null;
  /** Whether this call changed the payment (only then is the Postgres copy rewritten). */
  changed: boolean;
  /** Webhooks only: whether the event changed the payment. */
  applied?: boolean;
}

export type Op = "capture" | "void" | "refund";
export type PaymentRow = {
  id: string; order_id: string; user_id: string; status: string; amount: number; currency: string; provider: string;
  provider_ref: string | null; last4: string | null; failure_code: string | null; failure_detail: string | null; created_at: string;
  /** Minor units refunded at the provider so far (cumulative; a partial refund made there, say). */
  refunded: number;
};

/** Writes the payment's one row, by column name (the PaymentDO and its doubtful authorizations both create it). */
export function insertPaymentRow(sql: SqlStorage, r: Omit<PaymentRow, "refunded"> & { updated_at: string }): void {
  sql.exec(
    `INSERT INTO payment (id, order_id, user_id, status, amount, currency, provider, provider_ref, last4, failure_code, failure_detail, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    r.id, r.order_id, r.user_id, r.status, r.amount, r.currency, r.provider, r.provider_ref, r.last4, r.failure_code, r.failure_detail, r.created_at, r.updated_at,
  );
}

/** Per operation: the status it needs, the status it gives, and the statuses meaning "already done". */
export const OPS: Record<Op, { from: PaymentStatus; to: PaymentStatus; done: PaymentStatus[] }> = {
  // Not `refunded`: a capture retried after the provider refunded must fail the checkout, not mark the order paid.
  capture: { from: "authorized", to: "captured", done: ["captured"] },
  void: { from: "authorized", to: "voided", done: ["voided", "failed"] },
  refund: { from: "captured", to: "refunded", done: ["refunded"] },
};

/**
 * The statuses a payment passes through to reach the one its provider reports (read back after
 * a lost answer), or null when it cannot get there: the provider and edgeshop disagree.
 */
export function pathTo(from: PaymentStatus, to: PaymentStatus): PaymentStatus[] | null {
  if (from === to) return [];
  const paths: Partial<Record<PaymentStatus, Partial<Record<PaymentStatus, PaymentStatus[]>>>> = {
    authorized: { captured: ["captured"], refunded: ["captured", "refunded"], voided: ["voided"] },
    captured: { refunded: ["refunded"] },
  };
  return paths[from]?.[to] ?? null;
}

/** What each webhook event type may change: only from `from`, to `to`. */
export const WEBHOOK_MOVES: Record<WebhookEvent["type"], { from: PaymentStatus; to: PaymentStatus }> = {
  "payment.captured": { from: "authorized", to: "captured" },
  "payment.refunded": { from: "captured", to: "refunded" },
  "payment.failed": { from: "authorized", to: "failed" },
};

export type ProviderMove = "capture" | "refund" | "fail" | "void";

/**
 * What a provider's own event (Stripe's) may change: only from `from`, to `to`; a payment already
 * in one of `done` had that change happen. Wider than `WEBHOOK_MOVES`: a provider announces what
 * edgeshop itself did (a void is confirmed by a canceled PaymentIntent, an authorization edgeshop
 * gave up by its cancel) and delivers out of order (a capture after the refund), none of which is news.
 */
export const PROVIDER_MOVES: Record<ProviderMove, { from: PaymentStatus; to: PaymentStatus; done: PaymentStatus[] }> = {
  capture: { from: "authorized", to: "captured", done: ["captured", "refunded"] },
  refund: { from: "captured", to: "refunded", done: ["refunded"] },
  fail: { from: "authorized", to: "failed", done: ["failed"] },
  void: { from: "authorized", to: "voided", done: ["voided", "failed"] },
};

/**
 * A verified provider event in edgeshop's terms, as the PaymentDO applies it. It matches a payment
 * only when every field agrees, `providerRef` included once the payment has one.
 */
export interface ProviderEvent {
  /** The provider's event id and type, for the dedupe table, logs and reports. */
  id: string;
  type: string;
  move: ProviderMove;
  provider: string;
  paymentId: string;
  orderId: string;
  amount: Money;
  providerRef: string;
}

/** What is left to refund of a payment: its amount less what the provider refunded already (never below 0). */
export function refundable(row: PaymentRow): number {
  return Math.max(0, row.amount - (row.refunded ?? 0));
}

/**
 * A PaymentDO row as a record (optional fields left out when empty). `refundedAmount` only while part of the
 * payment is refunded: a refunded payment says so by its status.
 */
export function toRecord(row: PaymentRow): PaymentRecord {
  const refunded = row.refunded ?? 0;
  const partly = refunded > 0 && refunded < row.amount && row.status !== "refunded";
  return {
    id: row.id, orderId: row.order_id, userId: row.user_id, status: row.status as PaymentStatus,
    amount: { amount: row.amount, currency: row.currency }, provider: row.provider,
    ...(row.last4 ? { last4: row.last4 } : {}), createdAt: row.created_at, ...(row.provider_ref ? { providerRef: row.provider_ref } : {}),
    ...(partly ? { refundedAmount: { amount: refunded, currency: row.currency } } : {}),
  };
}
