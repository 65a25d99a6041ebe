import type { Database } from "../../../shared/db/client.ts";
import { shippingOptions, shippingRates, shippingZones } from "../../../shared/db/schema/index.ts";
import type { RateBand } from "../../../shared/schemas/shipping.ts";
import { DEFAULT_CARRIER } from "./admin.ts";

const EU = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"];

/** The default zones; `zone_row` serves every country no other zone names. */
export const SEED_ZONES = [
  { id: "zone_us", name: "Domestic (US)", countries: ["US"], isDefault: false },
  { id: "zone_eu", name: "European Union", countries: EU, isDefault: false },
  { id: "zone_row", name: "Rest of world", countries: [], isDefault: true },
];

/**
 * Default options per zone, USD minor units. Each is one flat band: the public
 * contract lists one price per option, and checkout charges exactly that price
 * (migration 0010). Weight bands are for options an admin configures.
 */
export const SEED_OPTIONS: { id: string; zoneId: string; name: string; estimatedDays: number; sortOrder: number; rates: RateBand[] }[] = [
  { id: "ship_us_standard", zoneId: "zone_us", name: "Standard", estimatedDays: 5, sortOrder: 1, rates: [{ minWeightGrams: 0, baseAmount: 499, perKgAmount: 0 }] },
  { id: "ship_us_express", zoneId: "zone_us", name: "Express", estimatedDays: 2, sortOrder: 2, rates: [{ minWeightGrams: 0, baseAmount: 1499, perKgAmount: 0 }] },
  { id: "ship_eu_standard", zoneId: "zone_eu", name: "Standard", estimatedDays: 7, sortOrder: 1, rates: [{ minWeightGrams: 0, baseAmount: 999, perKgAmount: 0 }] },
  { id: "ship_eu_express", zoneId: "zone_eu", name: "Express", estimatedDays: 3, sortOrder: 2, rates: [{ minWeightGrams: 0, baseAmount: 2499, perKgAmount: 0 }] },
  { id: "ship_row_standard", zoneId: "zone_row", name: "International Standard", estimatedDays: 14, sortOrder: 1, rates: [{ minWeightGrams: 0, baseAmount: 1999, perKgAmount: 0 }] },
  { id: "ship_row_express", zoneId: "zone_row", name: "International Express", estimatedDays: 5, sortOrder: 2, rates: [{ minWeightGrams: 0, baseAmount: 3999, perKgAmount: 0 }] },
];

/**
 * Inserts the default zones, options and rates unless they exist. Idempotent
 * and never overwrites: an admin's later edits survive a re-seed. The same
 * rows ship in migrations/*_shipping_seed.sql, so every database has them;
 * this is for scripts that seed a database by hand.
 */
export async function seedShipping(db: Database): Promise<void> {
  await db.insert(shippingZones).values(SEED_ZONES).onConflictDoNothing();
  await db
    .insert(shippingOptions)
    .values(SEED_OPTIONS.map(({ rates: _rates, ...o }) => ({ ...o, carrier: DEFAULT_CARRIER, currency: "USD" })))
    .onConflictDoNothing();
  await db
    .insert(shippingRates)
    .values(SEED_OPTIONS.flatMap((o) => o.rates.map((r) => ({ optionId: o.id, ...r }))))
    .onConflictDoNothing();
}
