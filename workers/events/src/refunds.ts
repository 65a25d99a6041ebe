import type { DomainEvent } from "../../../shared/events.ts";
import { endRefundedOrder } from "../../../shared/refunded-order.ts";

/**
 * Every order whose payment the provider refunded (`payment.refunded`) is
 * ended (`endRefundedOrder`). The gateway already tries as it acknowledges
 * the webhook; this is the retry that makes it certain. edgeshop's own
 * cancels publish the same event, and cancelling a cancelled order changes nothing.
 * Throws when an order could not be asked, so the queue retries the event.
 */
export async function cancelRefundedOrders(orders: EventsEnv["ORDERS"], events: readonly DomainEvent[]): Promise<void> {
  const refunds = new Map(events.filter((e) => e.type === "payment.refunded").map((e) => [e.data.orderId, e.data.paymentId]));
  const failures: string[] = [];
  await Promise.all(
    [...refunds].map(async ([orderId, paymentId]) => {
      const failed = await endRefundedOrder(orders, orderId, paymentId);
      if (failed) failures.push(`${orderId}: ${failed}`);
    }),
  );
  if (failures.length > 0) throw new Error(`cancelling refunded orders failed (${failures.join(", ")})`);
}
