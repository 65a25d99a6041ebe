import { asc, eq } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import type { AnyDatabase } from "../../../shared/db/http.ts";
import { paymentRow, payments, paymentUpsert, paymentWebhookEvents, type PaymentRow } from "../../../shared/db/schema/index.ts";
import type { PaymentStatus, PaymentSummary } from "../../../shared/schemas/payments.ts";
import type { PaymentRecord } from "../../../durable/payment-do.ts";

/** Copies a PaymentDO record to Postgres; idempotent and never moves a status backwards. */
export async function savePayment(db: Pick<AnyDatabase, "insert">, record: PaymentRecord): Promise<void> {
  const { providerRef, ...summary } = record;
  await db.insert(payments).values(paymentRow(summary, providerRef)).onConflictDoUpdate(paymentUpsert);
}

function toSummary(row: PaymentRow): PaymentSummary {
  return {
    id: row.id,
    orderId: row.orderId,
    userId: row.userId,
    status: row.status as PaymentStatus,
    amount: { amount: row.amount, currency: row.currency },
    provider: row.provider,
    ...(row.last4 ? { last4: row.last4 } : {}),
    createdAt: row.createdAt.toISOString(),
  };
}

/** An order's payments, oldest first. */
export async function listPaymentsForOrder(db: Database, orderId: string): Promise<PaymentSummary[]> {
  const rows = await db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(asc(payments.createdAt), asc(payments.id)).limit(100);
  return rows.map(toSummary);
}

/** What the dedupe table keeps of an event: its id (unique across providers), its type and the payment it names. */
export interface WebhookEventKey {
  id: string;
  type: string;
  paymentId: string;
}

/**
 * Applies a webhook event at most once. Inside one transaction the event id is
 * inserted with ON CONFLICT DO NOTHING: the delivery whose insert returns a row
 * applies it; a concurrent redelivery waits on the primary key until that
 * transaction ends and then sees a conflict. If applying throws, the insert
 * rolls back and the provider's next redelivery applies it.
 */
export async function applyWebhookOnce(
  db: Database,
  event: WebhookEventKey,
  apply: () => Promise<PaymentRecord | null>,
): Promise<{ duplicate: boolean }> {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(paymentWebhookEvents)
      .values({ id: event.id, type: event.type, paymentId: event.paymentId })
      .onConflictDoNothing({ target: paymentWebhookEvents.id })
      .returning({ id: paymentWebhookEvents.id });
    if (inserted.length === 0) return { duplicate: true };
    const record = await apply();
    if (record) await savePayment(tx, record);
    return { duplicate: false };
  });
}
