import { sql } from "drizzle-orm";
import type { HttpDatabase } from "../../../shared/db/http.ts";
import { orderItems, orders, orderStatusHistory, paymentRow, payments, paymentUpsert } from "../../../shared/db/schema/index.ts";
import { toOrder, type OrderState } from "./order-state.ts";

/** Longest wait between two delivery attempts while Postgres is unreachable. */
const MAX_BACKOFF_MS = 5 * 60_000;

/** Exponential backoff from 1 s, capped: the alarm's retry schedule for the outbox. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(attempts, 16));
}

/**
 * Writes the order's current copy to Postgres in one transaction (a batch:
 * one fetch on the HTTP query path): the order
 * row (applied only when its version is newer, so a late, older delivery
 * never wins), its lines and status history (insert-or-ignore: their keys
 * are fixed by the OrderDO; a line's missing product id is filled in) and its payment row (the payments module's
 * forward-only upsert). Safe to repeat any number of times.
 */
export async function deliverOrder(db: HttpDatabase, s: OrderState): Promise<void> {
  const o = toOrder(s);
  const payment = s.payment ? [db.insert(payments).values(paymentRow(s.payment)).onConflictDoUpdate(paymentUpsert)] : [];
  await db.batch([
    db
      .insert(orders)
      .values({
        id: o.id,
        userId: o.userId,
        status: o.status,
        currency: o.total.currency,
        subtotalAmount: o.subtotal.amount,
        shippingAmount: o.shipping.amount,
        totalAmount: o.total.amount,
        shippingAddress: o.shippingAddress,
        shippingOptionId: o.shippingOptionId,
        paymentId: o.payment.id,
        paymentStatus: o.payment.status,
        paymentLast4: o.payment.last4 ?? null,
        version: s.version,
        createdAt: new Date(o.createdAt),
        updatedAt: new Date(o.updatedAt),
      })
      .onConflictDoUpdate({
        target: orders.id,
        set: {
          status: sql`excluded.status`,
          shippingAmount: sql`excluded.shipping_amount`,
          totalAmount: sql`excluded.total_amount`,
          paymentStatus: sql`excluded.payment_status`,
          paymentLast4: sql`excluded.payment_last4`,
          version: sql`excluded.version`,
          updatedAt: sql`excluded.updated_at`,
        },
        setWhere: sql`${orders.version} < excluded.version`,
      }),
    db
      .insert(orderItems)
      .values(
        o.items.map((i, position) => ({
          orderId: o.id,
          position,
          sku: i.sku,
          productId: i.productId ?? null,
          title: i.title,
          quantity: i.quantity,
          unitAmount: i.unitPrice.amount,
          lineAmount: i.lineTotal.amount,
          currency: i.unitPrice.currency,
        })),
      )
      // Lines are fixed at checkout; only a product id the release before left out (a rollout) is filled in.
      .onConflictDoUpdate({ target: [orderItems.orderId, orderItems.position], set: { productId: sql`excluded.product_id` }, setWhere: sql`${orderItems.productId} is null` }),
    db
      .insert(orderStatusHistory)
      .values(s.history.map((h) => ({ orderId: o.id, seq: h.seq, status: h.status, at: new Date(h.at) })))
      .onConflictDoNothing(),
    ...payment,
  ]);
}
