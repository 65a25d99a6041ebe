import { z } from "@hono/zod-openapi";
import type { ProviderEvent, ProviderMove } from "../../../durable/payment-state.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { Money } from "../../../shared/schemas/common.ts";
import { StripeChargeSchema, StripeEventSchema, StripePaymentIntentSchema, type StripeCharge, type StripePaymentIntent } from "../../../shared/schemas/stripe-event.ts";
import { verifyAndParse } from "../../../shared/webhook-signature.ts";

/** What `POST /v1/webhooks/stripe` needs of the payments Worker's env. */
export interface StripeWebhookConfig {
  PAYMENT_PROVIDER: string;
  STRIPE_WEBHOOK_SECRET?: string;
}

/**
 * One verified Stripe delivery, decided: an event to apply to a payment, a
 * partial refund (reported, not applied), or one to acknowledge and ignore
 * (a type edgeshop does not act on, a payment that is not edgeshop's).
 */
export type StripeDelivery =
  | { kind: "apply"; event: ProviderEvent }
  | { kind: "partial-refund"; event: ProviderEvent; refunded: Money }
  | { kind: "ignore"; id: string; type: string; reason: string };

/** The PaymentIntent events edgeshop acts on, and the move each asks of a payment. */
const INTENT_MOVES: Record<string, ProviderMove> = {
  "payment_intent.succeeded": "capture",
  "payment_intent.payment_failed": "fail",
  "payment_intent.canceled": "void",
};

type Parsed = { id: string; type: string; charge?: StripeCharge; intent?: StripePaymentIntent };

/** The envelope, then `data.object` by the event's type; issues inside the object are named by their full path. */
const DeliverySchema = StripeEventSchema.transform((event, ctx): Parsed => {
  const base = { id: event.id, type: event.type };
  const object = event.data.object;
  const invalid = (error: z.ZodError): Parsed => {
    for (const issue of error.issues) ctx.issues.push({ code: "custom", message: issue.message, path: ["data", "object", ...issue.path], input: object });
    return z.NEVER;
  };
  if (event.type === "charge.refunded") {
    const charge = StripeChargeSchema.safeParse(object);
    return charge.success ? { ...base, charge: charge.data } : invalid(charge.error);
  }
  if (Object.hasOwn(INTENT_MOVES, event.type)) {
    const intent = StripePaymentIntentSchema.safeParse(object);
    return intent.success ? { ...base, intent: intent.data } : invalid(intent.error);
  }
  return base;
});

/**
 * Verifies a Stripe webhook (`Stripe-Signature`, the endpoint's `whsec_...`
 * secret) and decides what it means for edgeshop. NOT_FOUND while this
 * deployment takes no Stripe webhooks (another provider, or no secret): the
 * endpoint does not exist for it, and Stripe retries a 404 like any non-2xx.
 */
export async function parseStripeWebhook(env: StripeWebhookConfig, rawBody: string, header: string | null, nowSeconds: number): Promise<Result<StripeDelivery>> {
  if (env.PAYMENT_PROVIDER !== "stripe" || !env.STRIPE_WEBHOOK_SECRET) {
    if (env.PAYMENT_PROVIDER === "stripe") console.warn(JSON.stringify({ level: "warn", worker: "payments", msg: "stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set" }));
    return fail("NOT_FOUND", "This deployment does not take Stripe webhooks.");
  }
  const parsed = await verifyAndParse(DeliverySchema, "Stripe event", env.STRIPE_WEBHOOK_SECRET, rawBody, header, nowSeconds, "Stripe-Signature");
  return parsed.ok ? ok(deliveryOf(parsed.value)) : parsed;
}

/** The payment an object names (the metadata edgeshop gives every PaymentIntent it creates), or null for someone else's. */
function edgeshopIds(metadata: Record<string, string>): { paymentId: string; orderId: string } | null {
  const paymentId = metadata.payment_id;
  const orderId = metadata.order_id;
  return paymentId && orderId ? { paymentId, orderId } : null;
}

function deliveryOf(e: Parsed): StripeDelivery {
  const ignore = (reason: string): StripeDelivery => ({ kind: "ignore", id: e.id, type: e.type, reason });
  const common = { id: e.id, type: e.type, provider: "stripe" };
  if (e.intent) {
    const ids = edgeshopIds(e.intent.metadata);
    if (!ids) return ignore("not an edgeshop payment");
    const amount = { amount: e.intent.amount, currency: e.intent.currency.toUpperCase() };
    return { kind: "apply", event: { ...common, ...ids, amount, providerRef: e.intent.id, move: INTENT_MOVES[e.type]! } };
  }
  if (e.charge) {
    const c = e.charge;
    const ids = edgeshopIds(c.metadata);
    if (!ids || !c.payment_intent) return ignore("not an edgeshop payment");
    const money = (amount: number) => ({ amount, currency: c.currency.toUpperCase() });
    // An uncaptured charge reads refunded when its PaymentIntent is canceled: that is the release of a hold, a void.
    const move: ProviderMove = c.captured ? "refund" : "void";
    const event = { ...common, ...ids, amount: money(c.amount), providerRef: c.payment_intent, move };
    if (c.captured && !c.refunded) return { kind: "partial-refund", event, refunded: money(c.amount_refunded) };
    return { kind: "apply", event };
  }
  return ignore("an event type edgeshop does not act on");
}
