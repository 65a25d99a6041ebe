import { z } from "@hono/zod-openapi";
import { MAX_LINES, MAX_LINE_QUANTITY } from "./cart.ts";
import { MAX_VARIANT_WEIGHT_GRAMS } from "./catalog.ts";
import { CurrencySchema, MoneySchema, MoneyTotalSchema, digitsUpTo, singleLine, type Money } from "./common.ts";
import { CountrySchema } from "./users.ts";

/**
 * The heaviest cart there can be (4,950,000,000 g): every line at the
 * heaviest variant and the largest quantity. Checkout prices whatever the
 * cart weighs, so the preview takes every weight a cart can have.
 */
export const MAX_CART_WEIGHT_GRAMS = MAX_VARIANT_WEIGHT_GRAMS * MAX_LINE_QUANTITY * MAX_LINES;

/** The direction a shipment moves in, and `cancelled`: its order was cancelled before the parcel left. */
export const SHIPMENT_STATUSES = ["pending", "in_transit", "delivered", "cancelled"] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];
/** The statuses a shipment moves through, in order (never back). */
export type ForwardShipmentStatus = Exclude<ShipmentStatus, "cancelled">;

/** A priced shipping option as a shopper sees it (API.md "Shipping"). */
export const ShippingQuoteSchema = z
  .object({ id: z.string(), name: z.string(), price: MoneyTotalSchema.openapi({ description: "What checkout charges for it: a band's base plus its per-kg rate at the cart's weight, which may pass 10^10" }), estimatedDays: z.number().int() })
  .openapi("ShippingOption");
export interface ShippingQuote {
  id: string;
  name: string;
  price: Money;
  estimatedDays: number;
}

export const ShippingOptionsQuerySchema = z.object({
  country: CountrySchema.openapi({ param: { name: "country", in: "query", required: true } }),
  weightGrams: z
    .preprocess(digitsUpTo(String(MAX_CART_WEIGHT_GRAMS).length), z.number().int().min(0).max(MAX_CART_WEIGHT_GRAMS))
    .default(0)
    .openapi({
      param: { name: "weightGrams", in: "query" },
      description:
        "The cart's weight in grams (default 0): the sum over its lines of quantity times the variant's `weightGrams` (GET /v1/products/{id}). At the cart's weight, an option's price is what checkout charges for it",
    }),
});

/**
 * A band's base amount goes as high as any Money a client sets (MoneySchema,
 * as `price` does), so a band read back can be written back. The per-kg
 * amount stays lower: times the heaviest cart's kilograms
 * (`MAX_CART_WEIGHT_GRAMS` / 1000), plus the base, it stays an exact integer
 * (about 5 x 10^13, under 2^53).
 */
const baseAmount = z.number().int().min(0).max(100_000_000_00);
const perKgAmount = z.number().int().min(0).max(100_000_00);
export const RateBandSchema = z
  .object({ minWeightGrams: z.number().int().min(0).max(1_000_000), baseAmount, perKgAmount })
  .openapi("ShippingRateBand");
export type RateBand = z.infer<typeof RateBandSchema>;

/** Bands need a 0 g band (every weight is priced) and distinct lower bounds. */
const RateBandsSchema = z
  .array(RateBandSchema)
  .min(1)
  .max(20)
  .refine((bands) => bands.some((b) => b.minWeightGrams === 0), "One band must start at 0 g")
  .refine((bands) => new Set(bands.map((b) => b.minWeightGrams)).size === bands.length, "Band lower bounds must be distinct")
  .openapi({ description: "1-20 weight bands; one starts at 0 g, and no two start at the same weight" });

/** The admin view of an option: its zone, carrier, currency and every weight band. */
export const ShippingOptionDetailSchema = z
  .object({
    id: z.string(),
    zoneId: z.string(),
    name: z.string(),
    carrier: z.string(),
    estimatedDays: z.number().int(),
    active: z.boolean(),
    price: MoneySchema.openapi({ description: "Price at 0 g" }),
    currency: z.string(),
    rates: z.array(RateBandSchema),
  })
  .openapi("ShippingOptionDetail");
export type ShippingOptionDetail = z.infer<typeof ShippingOptionDetailSchema>;

const name = singleLine(100);
const days = z.number().int().min(0).max(365);

export const CreateShippingOptionSchema = z
  .strictObject({
    zoneId: z.string().min(1).max(64),
    name,
    carrier: name.optional(),
    estimatedDays: days,
    currency: CurrencySchema.default("USD").openapi({ description: "What the option's rates are in (default USD); a cart checks out with an option in its own currency" }),
    rates: RateBandsSchema,
  })
  .openapi("CreateShippingOptionRequest");
export type CreateShippingOptionInput = z.infer<typeof CreateShippingOptionSchema>;

/** `price` is shorthand for the 0 g band's base amount; `rates` replaces every band. */
export const UpdateShippingOptionSchema = z
  .strictObject({ name: name.optional(), estimatedDays: days.optional(), active: z.boolean().optional(), price: MoneySchema.optional(), rates: RateBandsSchema.optional() })
  .refine((v) => !(v.price && v.rates), { message: "Send price or rates, not both", path: ["price"] })
  .openapi("UpdateShippingOptionRequest", { description: "Send `price` or `rates`, not both; `price.currency` is the option's currency" });
export type UpdateShippingOptionInput = z.infer<typeof UpdateShippingOptionSchema>;

export const ShippingZoneSchema = z
  .object({ id: z.string(), name: z.string(), countries: z.array(z.string()), isDefault: z.boolean() })
  .openapi("ShippingZone");
export type ShippingZone = z.infer<typeof ShippingZoneSchema>;

export const CreateShippingZoneSchema = z
  .strictObject({ name, countries: z.array(CountrySchema).min(1).max(250) })
  .openapi("CreateShippingZoneRequest");
export type CreateShippingZoneInput = z.infer<typeof CreateShippingZoneSchema>;

/** `countries` replaces the zone's list; an empty list gives every country back to rest of world. */
export const UpdateShippingZoneSchema = z
  .strictObject({ name: name.optional(), countries: z.array(CountrySchema).max(250).optional() })
  .openapi("UpdateShippingZoneRequest");
export type UpdateShippingZoneInput = z.infer<typeof UpdateShippingZoneSchema>;

export const ShipmentSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    status: z.enum(SHIPMENT_STATUSES),
    carrier: z.string(),
    trackingNumber: z.string(),
    events: z.array(z.object({ status: z.string(), at: z.string().openapi({ format: "date-time" }) })),
  })
  .openapi("Shipment");
export interface Shipment {
  id: string;
  orderId: string;
  status: ShipmentStatus;
  carrier: string;
  trackingNumber: string;
  events: { status: string; at: string }[];
}

/** What an admin or a carrier may report; `pending` is only ever the starting state. */
export const ShipmentEventInputSchema = z.strictObject({ status: z.enum(["in_transit", "delivered"]) }).openapi("ShipmentEventRequest");
export type ShipmentEventStatus = z.infer<typeof ShipmentEventInputSchema>["status"];

/** Body of a signed carrier webhook (parsed by the shipping Worker after the signature checks out). */
export const CarrierWebhookSchema = z
  .object({ trackingNumber: z.string().min(1).max(64), status: z.enum(["in_transit", "delivered"]) })
  .openapi("CarrierWebhook");
