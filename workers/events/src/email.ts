import type { DomainEvent } from "../../../shared/events.ts";

export interface Email {
  to: string;
  subject: string;
  body: string;
}

/**
 * Where rendered emails go. The default only logs that one was sent, by its
 * subject (which names the order), never to whom: an address in Workers Logs
 * is a customer's personal data kept where no one asked for it.
 */
export interface EmailProvider {
  send(email: Email): Promise<{ ok: boolean }>;
}

export const logOnlyProvider: EmailProvider = {
  async send(email) {
    console.log(JSON.stringify({ level: "info", worker: "events", msg: "email (log-only provider)", subject: email.subject }));
    return { ok: true };
  },
};

const money = (m?: { amount: number; currency: string }) => (m ? `${(m.amount / 100).toFixed(2)} ${m.currency}` : "");

/** Renders the customer email for an event. */
export function renderEmail(event: DomainEvent, to: string): Email {
  const order = event.data.orderId;
  switch (event.type) {
    case "order.placed":
      return { to, subject: `Order ${order} confirmed`, body: `Thank you! We received order ${order} (${money(event.data.total)}).` };
    case "order.cancelled":
      return { to, subject: `Order ${order} cancelled`, body: `Order ${order} was cancelled; any payment is refunded.` };
    case "payment.captured":
      return { to, subject: `Payment received for ${order}`, body: `We received ${money(event.data.amount)} for order ${order}.` };
    case "payment.refunded":
      return { to, subject: `Refund for ${order}`, body: `We refunded ${money(event.data.amount)} for order ${order}.` };
    case "shipment.created":
      return { to, subject: `Order ${order} is being prepared`, body: `Carrier ${event.data.carrier ?? ""}, tracking ${event.data.trackingNumber ?? ""}.` };
    case "shipment.delivered":
      return { to, subject: `Order ${order} delivered`, body: `Order ${order} was delivered. Enjoy!` };
  }
}
