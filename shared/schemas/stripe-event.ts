import { z } from "@hono/zod-openapi";

/**
 * Stripe's own webhook events (`POST /v1/webhooks/stripe`), as far as edgeshop
 * reads them. Every object is loose: Stripe adds fields in any API version, and
 * an event that gains one must still be taken. Only what edgeshop acts on is
 * required, and only for the event types it acts on.
 */

/** Stripe's amounts: integers in the currency's smallest unit, as edgeshop's minor units. */
const AmountSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Stripe writes ISO 4217 codes in lower case. */
const CurrencySchema = z.string().regex(/^[a-z]{3}$/, "A three-letter currency code in lower case");
/** Key-value strings; edgeshop's PaymentIntents carry `payment_id`, `order_id` and `user_id` (copied to their charge). */
const MetadataSchema = z.record(z.string(), z.string());
const StripeIdSchema = z.string().min(1).max(255);

/** The PaymentIntent of `payment_intent.*` events. */
export const StripePaymentIntentSchema = z.looseObject({
  id: StripeIdSchema,
  amount: AmountSchema,
  currency: CurrencySchema,
  metadata: MetadataSchema,
});
export type StripePaymentIntent = z.infer<typeof StripePaymentIntentSchema>;

/** The charge of `charge.refunded`: `refunded` is true only once all of it is refunded. */
export const StripeChargeSchema = z.looseObject({
  id: StripeIdSchema,
  amount: AmountSchema,
  amount_captured: AmountSchema,
  amount_refunded: AmountSchema,
  captured: z.boolean(),
  refunded: z.boolean(),
  currency: CurrencySchema,
  payment_intent: StripeIdSchema.nullable(),
  metadata: MetadataSchema,
});
export type StripeCharge = z.infer<typeof StripeChargeSchema>;

/** The envelope every Stripe event has; `data.object` is read per type (above). */
export const StripeEventSchema = z
  .looseObject({
    id: StripeIdSchema,
    type: z.string().min(1).max(255),
    data: z.looseObject({ object: z.looseObject({}) }),
  })
  .openapi("StripeEvent", {
    description:
      "A Stripe event object as Stripe sends it (more fields than listed are expected). Acted on: `charge.refunded`, `payment_intent.succeeded`, `payment_intent.payment_failed` and `payment_intent.canceled`; any other type is acknowledged and ignored.",
    example: {
      id: "evt_1",
      object: "event",
      type: "charge.refunded",
      data: {
        object: {
          id: "ch_1", object: "charge", amount: 1999, amount_captured: 1999, amount_refunded: 1999, captured: true, refunded: true, currency: "usd",
          payment_intent: "pi_1", metadata: { payment_id: "pay_1", order_id: "ord_1" },
        },
      },
    },
  });
export type StripeEvent = z.infer<typeof StripeEventSchema>;
