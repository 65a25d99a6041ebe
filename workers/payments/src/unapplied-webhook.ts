import { captureMessage } from "@sentry/cloudflare";
import { WEBHOOK_MOVES, type PaymentOutcome } from "../../../durable/payment-state.ts";
import type { WebhookEvent } from "../../../shared/schemas/payments.ts";

/**
 * A provider event that changed nothing, yet was acknowledged (the provider
 * would only send it again), is reported so that someone looks at it:
 * - its `data.status` contradicts its type (a `payment.refunded` saying
 *   `captured`): an error, since the provider sent something self-contradictory;
 * - no payment matches it (unknown payment, another order, another amount or
 *   currency: a partial refund, say): a warning;
 * - the payment's status does not allow it (a capture of a payment that
 *   failed, a refund of one never captured): an error, since the provider
 *   and edgeshop now disagree about money.
 * An event whose change had already happened (a refund edgeshop asked for,
 * then confirmed by the provider) is not news and is not reported.
 * Each report is one log line and, with Sentry configured, one Sentry event.
 */
export function reportUnappliedWebhook(event: WebhookEvent, outcome: PaymentOutcome): void {
  const ids = { eventId: event.id, type: event.type, paymentId: event.data.paymentId, orderId: event.data.orderId };
  if (event.data.status !== WEBHOOK_MOVES[event.type].to) {
    report("error", `payment webhook not applied: ${event.type} with status ${event.data.status}`, { ...ids, status: event.data.status });
    return;
  }
  if (outcome.record === null) {
    report("warning", "payment webhook matches no payment", { ...ids, amount: event.data.amount });
    return;
  }
  const status = outcome.record.status;
  if (!outcome.applied && status !== WEBHOOK_MOVES[event.type].to) {
    report("error", `payment webhook not applied: ${event.type} for a payment that is ${status}`, { ...ids, status });
  }
}

function report(level: "warning" | "error", msg: string, fields: Record<string, unknown>): void {
  console.error(JSON.stringify({ level: level === "warning" ? "warn" : "error", worker: "payments", msg, ...fields }));
  captureMessage(msg, { level, tags: { webhookEventId: String(fields.eventId), paymentId: String(fields.paymentId) } });
}
