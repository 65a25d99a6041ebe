import type { DomainEvent } from "../../../shared/events.ts";
import type { OrderPrincipal } from "../../../shared/schemas/orders.ts";

/** The events Worker acts on orders as the system, with an admin's reach. */
const SYSTEM: OrderPrincipal = { userId: "system:events", role: "admin" };

/** What a refund leaves an order as: a cancel that cannot apply (shipped, failed, unknown) is an answer, not a failure. */
const SETTLED_ANSWERS = new Set(["ORDER_NOT_CANCELLABLE", "NOT_FOUND"]);

/**
 * A payment refunded in full at the provider (its dashboard, a dispute; the
 * webhook only applies a full refund) ends the order it paid for: a paid
 * order is cancelled through the orders Worker, whose cancel finds the
 * payment refunded already and returns the stock. edgeshop's own cancels
 * publish the same event; cancelling a cancelled order changes nothing.
 * An order that has shipped keeps its status, with its payment shown
 * refunded (`recordRefund`).
 * Throws when an order could not be asked, so the queue retries the event.
 */
export async function cancelRefundedOrders(orders: EventsEnv["ORDERS"], events: readonly DomainEvent[]): Promise<void> {
  const refunds = new Map(events.filter((e) => e.type === "payment.refunded").map((e) => [e.data.orderId, e.data.paymentId]));
  const failures: string[] = [];
  await Promise.all(
    [...refunds].map(async ([orderId, paymentId]) => {
      const cancelled = await orders.cancelOrder(SYSTEM, orderId);
      const r = !cancelled.ok && cancelled.error.code === "ORDER_NOT_CANCELLABLE" && paymentId ? await orders.recordRefund(orderId, paymentId) : cancelled;
      if (!r.ok && !SETTLED_ANSWERS.has(r.error.code)) failures.push(`${orderId}: ${r.error.code}`);
    }),
  );
  if (failures.length > 0) throw new Error(`cancelling refunded orders failed (${failures.join(", ")})`);
}
