import { instrumentDurableObjectWithSentry, withSentry } from "@sentry/cloudflare";
import { PaymentDO as PaymentDOClass } from "../../../durable/payment-do.ts";
import { sentryOptions, sentryWhenConfigured } from "../../../shared/observability.ts";
import type { PaymentOutcome, PaymentRecord } from "../../../durable/payment-do.ts";
import { openDb } from "../../../shared/db/client.ts";
import { httpDb } from "../../../shared/db/http.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { AuthorizeInput, PaymentSummary } from "../../../shared/schemas/payments.ts";
import { DomainService } from "../../../shared/service.ts";
import { checkAuthorizeInput } from "./pan.ts";
import { providerFor } from "./providers/index.ts";
import { applyWebhookOnce, listPaymentsForOrder, savePayment, type WebhookEventKey } from "./records.ts";
import { parseStripeWebhook } from "./stripe-webhook.ts";
import { reportPartialRefund, reportUnappliedProviderEvent, reportUnappliedWebhook } from "./unapplied-webhook.ts";
import { traceObjectMethods } from "../../../shared/traced-object.ts";

/**
 * What a webhook leaves: `duplicate` for a redelivery, and `refunded` when
 * the event applied a full refund, naming the order it ends.
 */
export interface WebhookReceipt {
  received: true;
  duplicate: boolean;
  refunded?: { orderId: string; paymentId: string };
}

// Helpers are module functions, not methods: DomainService wraps every method as an async RPC call.
function paymentStub(env: PaymentsEnv, paymentId: string) {
  return env.PAYMENT.get(env.PAYMENT.idFromName(paymentId));
}

/** Copies a record to Postgres after the response, one statement over HTTP; the OrderDO outbox retries it later if this fails. */
async function persist(env: PaymentsEnv, record: PaymentRecord): Promise<void> {
  try {
    await savePayment(httpDb(env), record);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "payments", msg: "payment row not saved", paymentId: record.id, error: String((err as { cause?: unknown }).cause ?? err) }));
  }
}

/**
 * Applies a verified event at most once (`applyWebhookOnce`): the delivery that records its id
 * applies it to the payment's PaymentDO. `outcome` is unset for a redelivery.
 */
async function applyOnce(
  env: PaymentsEnv,
  ctx: ExecutionContext,
  key: WebhookEventKey,
  apply: (payment: ReturnType<typeof paymentStub>) => Promise<PaymentOutcome>,
): Promise<{ duplicate: boolean; outcome?: PaymentOutcome }> {
  // Its own pool, ended here: the transaction must not share a connection with anything else.
  const { db, pool } = openDb(env);
  let duplicate: boolean;
  let outcome: PaymentOutcome | undefined;
  try {
    ({ duplicate } = await applyWebhookOnce(db, key, async () => {
      outcome = await apply(paymentStub(env, key.paymentId));
      return outcome.record;
    }));
  } finally {
    ctx.waitUntil(pool.end().catch(() => undefined));
  }
  console.log(JSON.stringify({ level: "info", worker: "payments", msg: "webhook", eventId: key.id, type: key.type, duplicate }));
  return outcome ? { duplicate, outcome } : { duplicate };
}

/**
 * The caller's receipt. A refunded payment ends its order; the caller does that at once (the events queue retries it).
 * Also when this delivery found the payment refunded already: an earlier one may have refunded it and then failed
 * before the order was told (its Postgres transaction rolled back), and ending an order twice changes nothing.
 * The payment's own order, not the event's: an event naming another order is not applied.
 */
function receipt(duplicate: boolean, refund?: PaymentOutcome): WebhookReceipt {
  const record = refund?.record;
  const refunded = record?.status === "refunded" ? { orderId: record.orderId, paymentId: record.id } : undefined;
  return { received: true, duplicate, ...(refunded ? { refunded } : {}) };
}

/** Queues the Postgres copy and hands back the caller's result (rebuilt as plain data). */
function finish(env: PaymentsEnv, ctx: ExecutionContext, outcome: PaymentOutcome): Result<PaymentSummary> {
  // Replays change nothing, so only a real change is copied (the OrderDO outbox re-delivers anyway).
  if (outcome.record && outcome.changed) ctx.waitUntil(persist(env, outcome.record));
  const r = outcome.result;
  return r.ok ? ok(r.value) : fail(r.error.code, r.error.detail, r.error.errors);
}

/**
 * RPC surface of the payments Worker. The PaymentDO of each payment is the
 * source of truth, so authorize/capture/void/refund never wait on Postgres;
 * the Postgres copy is written afterwards (best effort, `waitUntil`) and again
 * by the OrderDO outbox, both idempotent upserts.
 */
class PaymentsServiceBase extends DomainService<PaymentsEnv> {
  protected static override readonly worker = "payments";
  /** Authorizes once per paymentId (a retry returns the first outcome); a card number is refused unseen. */
  async authorize(input: AuthorizeInput): Promise<Result<PaymentSummary>> {
    const invalid = checkAuthorizeInput(input);
    if (invalid) return invalid;
    return finish(this.env, this.ctx, await paymentStub(this.env, input.paymentId).authorize(input));
  }

  /** authorized -> captured; repeating it returns the same summary without calling the provider. */
  async capture(paymentId: string): Promise<Result<PaymentSummary>> {
    return finish(this.env, this.ctx, await paymentStub(this.env, paymentId).operate(paymentId, "capture"));
  }

  /** authorized -> voided; a failed payment is returned as it is (nothing to void). */
  async voidAuthorization(paymentId: string): Promise<Result<PaymentSummary>> {
    return finish(this.env, this.ctx, await paymentStub(this.env, paymentId).operate(paymentId, "void"));
  }

  /** captured -> refunded; repeating it returns the same summary. */
  async refund(paymentId: string): Promise<Result<PaymentSummary>> {
    return finish(this.env, this.ctx, await paymentStub(this.env, paymentId).operate(paymentId, "refund"));
  }

  /** Payments of one order from Postgres, oldest first (the gateway checks ownership first). */
  async listForOrder(orderId: string): Promise<PaymentSummary[]> {
    const list = await listPaymentsForOrder(this.db(), orderId);
    // What was refunded of a captured payment at the provider is kept by its PaymentDO only (not in the Postgres copy).
    return Promise.all(list.map(async (p) => {
      if (p.status !== "captured") return p;
      const refundedAmount = (await paymentStub(this.env, p.id).get())?.refundedAmount;
      return refundedAmount ? { ...p, refundedAmount } : p;
    }));
  }

  /**
   * Verifies and applies a provider webhook (`WebhookReceipt`). Redeliveries (same event id, even
   * concurrent) are acknowledged with `duplicate: true` and change nothing.
   * Events for an unknown payment, or that the payment's status does not
   * allow, are acknowledged too (retrying them cannot help) and reported,
   * since money may be at stake (`reportUnappliedWebhook`).
   */
  async handleWebhook(rawBody: string, signatureHeader: string | null): Promise<Result<WebhookReceipt>> {
    const parsed = await providerFor(this.env).parseWebhook(rawBody, signatureHeader, Math.floor(Date.now() / 1000));
    if (!parsed.ok) return parsed;
    const event = parsed.value;
    const key = { id: event.id, type: event.type, paymentId: event.data.paymentId };
    const { duplicate, outcome } = await applyOnce(this.env, this.ctx, key, (payment) => payment.applyWebhook(event));
    if (outcome) reportUnappliedWebhook(event, outcome);
    return ok(receipt(duplicate, event.type === "payment.refunded" ? outcome : undefined));
  }

  /**
   * `handleWebhook` for Stripe's own events (`POST /v1/webhooks/stripe`, `Stripe-Signature` with
   * `STRIPE_WEBHOOK_SECRET`), mapped onto the same moves: a full refund refunds the payment and names
   * its order to end; a capture, a failed authorization and a canceled PaymentIntent move it as the
   * provider says. Deduplicated by Stripe's event id in the same table (prefixed `stripe:`). A partial
   * refund is recorded on the payment (Stripe's cumulative `amount_refunded`; the status stays captured),
   * so that a later cancel refunds only the rest. Another event type or another system's payment is
   * acknowledged and changes nothing.
   */
  async handleStripeWebhook(rawBody: string, signatureHeader: string | null): Promise<Result<WebhookReceipt>> {
    const parsed = await parseStripeWebhook(this.env, rawBody, signatureHeader, Math.floor(Date.now() / 1000));
    if (!parsed.ok) return parsed;
    const delivery = parsed.value;
    if (delivery.kind === "ignore") {
      console.log(JSON.stringify({ level: "info", worker: "payments", msg: "stripe webhook ignored", eventId: delivery.id, type: delivery.type, reason: delivery.reason }));
      return ok(receipt(false));
    }
    const event = delivery.event;
    const ids = { eventId: event.id, type: event.type, paymentId: event.paymentId, orderId: event.orderId };
    const key = { id: `stripe:${event.id}`, type: event.type, paymentId: event.paymentId };
    if (delivery.kind === "partial-refund") {
      // Recorded (the cumulative amount refunded at Stripe) so that a later cancel refunds only the rest; the status stays.
      const { duplicate, outcome } = await applyOnce(this.env, this.ctx, key, (payment) => payment.recordPartialRefund(event, delivery.refunded.amount));
      if (outcome) reportPartialRefund(ids, delivery.refunded, event.amount, outcome);
      return ok(receipt(duplicate));
    }
    const { duplicate, outcome } = await applyOnce(this.env, this.ctx, key, (payment) => payment.applyProviderEvent(event));
    if (outcome) reportUnappliedProviderEvent(event, outcome);
    return ok(receipt(duplicate, event.move === "refund" ? outcome : undefined));
  }

  /** Operations and tests: the provider calls made for one payment, oldest first. */
  async providerCalls(paymentId: string): Promise<{ op: string; outcome: string }[]> {
    return paymentStub(this.env, paymentId).providerCalls();
  }

  /** Operations and tests: the PaymentDO's record (source of truth), null when unknown. */
  async getPayment(paymentId: string): Promise<PaymentRecord | null> {
    return paymentStub(this.env, paymentId).get();
  }
}

/** Instrumented with Sentry: a thrown error (a bug, never an expected failure) is reported. */
export const PaymentsService = sentryWhenConfigured(PaymentsServiceBase, withSentry((env: PaymentsEnv) => sentryOptions(env), PaymentsServiceBase));
export default PaymentsService;
/** The Durable Object class, instrumented so its errors reach Sentry too. */
export type PaymentDO = PaymentDOClass;
export const PaymentDO = sentryWhenConfigured(PaymentDOClass, instrumentDurableObjectWithSentry((env: PaymentsEnv) => sentryOptions(env), traceObjectMethods(PaymentDOClass)));
