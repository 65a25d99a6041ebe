import { bigint, boolean, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * A destination zone: a set of countries priced alike. Exactly one zone is
 * the fallback (`isDefault`) that serves every country no other zone names.
 */
export const shippingZones = pgTable("shipping_zones", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  countries: text("countries").array().notNull().default([]),
  isDefault: boolean("is_default").notNull().default(false),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** A way to ship into one zone (standard, express...). Its id is what checkout sends as `shippingOptionId`. */
export const shippingOptions = pgTable(
  "shipping_options",
  {
    id: text("id").primaryKey(),
    zoneId: text("zone_id").notNull().references(() => shippingZones.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    carrier: text("carrier").notNull(),
    estimatedDays: integer("estimated_days").notNull(),
    currency: text("currency").notNull().default("USD"),
    active: boolean("active").notNull().default(true),
    sortOrder: integer("sort_order").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("shipping_options_zone_idx").on(t.zoneId)],
);

/**
 * Weight bands of an option: the band with the largest `minWeightGrams` not
 * above the cart weight applies; price = base + perKg per started kilogram.
 * Amounts are minor units in the option's currency.
 */
export const shippingRates = pgTable(
  "shipping_rates",
  {
    optionId: text("option_id").notNull().references(() => shippingOptions.id, { onDelete: "cascade" }),
    minWeightGrams: integer("min_weight_grams").notNull(),
    // bigint, like every Money amount: the API takes up to 10^10 minor units.
    baseAmount: bigint("base_amount", { mode: "number" }).notNull(),
    perKgAmount: bigint("per_kg_amount", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ name: "shipping_rates_pk", columns: [t.optionId, t.minWeightGrams] })],
);

/** One shipment per order (unique `orderId` makes createShipment idempotent). */
export const shipments = pgTable(
  "shipments",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull().unique("shipments_order_id_unique"),
    userId: text("user_id").notNull(),
    status: text("status", { enum: ["pending", "in_transit", "delivered", "cancelled"] }).notNull().default("pending"),
    carrier: text("carrier").notNull(),
    trackingNumber: text("tracking_number").notNull().unique("shipments_tracking_number_unique"),
    /** The furthest status the orders Worker has acknowledged; lets a repeated event retry a failed sync. */
    orderSyncedStatus: text("order_synced_status", { enum: ["pending", "in_transit", "delivered"] }).notNull().default("pending"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("shipments_user_idx").on(t.userId)],
);

/** The status history of a shipment; at most one row per status. */
export const shipmentEvents = pgTable(
  "shipment_events",
  {
    shipmentId: text("shipment_id").notNull().references(() => shipments.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["pending", "in_transit", "delivered", "cancelled"] }).notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    source: text("source").notNull(),
  },
  (t) => [primaryKey({ name: "shipment_events_pk", columns: [t.shipmentId, t.status] })],
);

export type ShippingZoneRow = typeof shippingZones.$inferSelect;
export type ShippingOptionRow = typeof shippingOptions.$inferSelect;
export type ShippingRateRow = typeof shippingRates.$inferSelect;
export type ShipmentRow = typeof shipments.$inferSelect;
export type ShipmentEventRow = typeof shipmentEvents.$inferSelect;
