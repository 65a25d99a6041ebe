import type { OrderPrincipal } from "./schemas/orders.ts";

/** Refunds act on orders as the system, with an admin's reach. */
const SYSTEM: OrderPrincipal = { userId: "system:refunds", role: "admin" };

/** What a refund leaves an order as: a cancel that cannot apply (shipped, failed, unknown) is an answer, not a failure. */
const SETTLED_ANSWERS = new Set(["ORDER_NOT_CANCELLABLE", "NOT_FOUND"]);

/**
 * A payment refunded in full at the provider (its dashboard, a dispute; the
 * webhook only applies a full refund) ends the order it paid for: a paid
 * order is cancelled through the orders Worker, whose cancel finds the
 * payment refunded already and returns the stock. An order that has shipped
 * keeps its status, with its payment shown refunded (`recordRefund`).
 * Cancelling a cancelled order changes nothing, so the gateway (as the
 * webhook is acknowledged) and the events queue (its retry) may both call it.
 * Returns null when the order is settled, else the code of what failed.
 */
export async function endRefundedOrder(orders: EventsEnv["ORDERS"], orderId: string, paymentId: string | undefined): Promise<string | null> {
  const cancelled = await orders.cancelOrder(SYSTEM, orderId);
  const r = !cancelled.ok && cancelled.error.code === "ORDER_NOT_CANCELLABLE" && paymentId ? await orders.recordRefund(orderId, paymentId) : cancelled;
  return !r.ok && !SETTLED_ANSWERS.has(r.error.code) ? r.error.code : null;
}
