import { captureMessage } from "@sentry/cloudflare";
import { PROVIDER_MOVES, WEBHOOK_MOVES, type PaymentOutcome, type ProviderEvent } from "../../../durable/payment-state.ts";
import type { Money } from "../../../shared/schemas/common.ts";
import type { PaymentStatus, WebhookEvent } from "../../../shared/schemas/payments.ts";

/** What every report names: the provider's event and the payment and order it is about. */
type EventIds = { eventId: string; type: string; paymentId: string; orderId: string };

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
  const to = WEBHOOK_MOVES[event.type].to;
  if (event.data.status !== to) {
    report("error", `payment webhook not applied: ${event.type} with status ${event.data.status}`, { ...ids, status: event.data.status });
    return;
  }
  reportUnapplied(ids, event.data.amount, [to], outcome);
}

/** The same reports for a provider's own event (Stripe's), whose move says which statuses mean "already done". */
export function reportUnappliedProviderEvent(event: ProviderEvent, outcome: PaymentOutcome): void {
  const ids = { eventId: event.id, type: event.type, paymentId: event.paymentId, orderId: event.orderId };
  reportUnapplied(ids, event.amount, PROVIDER_MOVES[event.move].done, outcome);
}

/**
 * A refund of part of a payment: the payment records the amount refunded so far (its status and its order
 * stay as they are; a later cancel refunds the rest), which is logged. One matching no payment is a warning,
 * like any such event. Refunds that complete it are a full refund, which is applied.
 */
export function reportPartialRefund(ids: EventIds, refunded: Money, amount: Money, outcome: PaymentOutcome): void {
  if (outcome.record === null) {
    report("warning", "payment webhook matches no payment", { ...ids, amount, refunded });
    return;
  }
  const msg = outcome.applied ? "payment partial refund recorded" : "payment partial refund already known";
  console.log(JSON.stringify({ level: "info", worker: "payments", msg, ...ids, refunded, amount, status: outcome.record.status }));
}

function reportUnapplied(ids: EventIds, amount: Money, done: PaymentStatus[], outcome: PaymentOutcome): void {
  if (outcome.record === null) {
    report("warning", "payment webhook matches no payment", { ...ids, amount });
    return;
  }
  const status = outcome.record.status;
  if (!outcome.applied && !done.includes(status)) {
    report("error", `payment webhook not applied: ${ids.type} for a payment that is ${status}`, { ...ids, status });
  }
}

function report(level: "warning" | "error", msg: string, fields: EventIds & Record<string, unknown>): void {
  console.error(JSON.stringify({ level: level === "warning" ? "warn" : "error", worker: "payments", msg, ...fields }));
  captureMessage(msg, { level, tags: { webhookEventId: fields.eventId, paymentId: fields.paymentId } });
}
