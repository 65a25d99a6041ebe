import { arrayContains, asc, eq, or } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { shippingOptions, shippingRates, shippingZones } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { RateBand, ShippingOptionDetail, ShippingQuote } from "../../../shared/schemas/shipping.ts";
import { priceFor, sortBands } from "./rates.ts";

/**
 * The zone serving `country` as a CTE: the zone naming it, else the default
 * (rest of world) zone. A CTE keeps pricing to one round trip: these reads sit
 * on the checkout path and the public options list.
 */
function zoneFor(db: Database, country: string) {
  return db.$with("zone").as(
    db
      .select({ zoneId: shippingZones.id })
      .from(shippingZones)
      .where(or(arrayContains(shippingZones.countries, [country]), eq(shippingZones.isDefault, true)))
      .orderBy(asc(shippingZones.isDefault), asc(shippingZones.id))
      .limit(1),
  );
}

const columns = {
  id: shippingOptions.id,
  name: shippingOptions.name,
  currency: shippingOptions.currency,
  estimatedDays: shippingOptions.estimatedDays,
  active: shippingOptions.active,
  minWeightGrams: shippingRates.minWeightGrams,
  baseAmount: shippingRates.baseAmount,
  perKgAmount: shippingRates.perKgAmount,
};
type OptionRateRow = { [K in keyof typeof columns]: (typeof columns)[K]["_"]["data"] };

/** One row per (option, band) -> priced quotes, keeping the rows' option order. */
function toQuotes(rows: readonly OptionRateRow[], weightGrams: number): ShippingQuote[] {
  const byOption = new Map<string, { row: OptionRateRow; bands: RateBand[] }>();
  for (const row of rows) {
    const entry = byOption.get(row.id) ?? { row, bands: [] };
    entry.bands.push(row);
    byOption.set(row.id, entry);
  }
  return [...byOption.values()].flatMap(({ row, bands }) => {
    const amount = priceFor(bands, weightGrams);
    return amount === null ? [] : [{ id: row.id, name: row.name, price: { amount, currency: row.currency }, estimatedDays: row.estimatedDays }];
  });
}

/** Active options of the country's zone priced for `weightGrams`, in the zone's configured order. */
export async function listOptions(db: Database, country: string, weightGrams: number): Promise<ShippingQuote[]> {
  const zone = zoneFor(db, country);
  const rows = await db
    .with(zone)
    .select(columns)
    .from(shippingOptions)
    .innerJoin(zone, eq(shippingOptions.zoneId, zone.zoneId))
    .innerJoin(shippingRates, eq(shippingRates.optionId, shippingOptions.id))
    .where(eq(shippingOptions.active, true))
    .orderBy(asc(shippingOptions.sortOrder), asc(shippingOptions.id));
  return toQuotes(rows, weightGrams);
}

/** One row per rate band of the option, with the zone serving `country` if it is the option's. */
export type QuoteRow = OptionRateRow & { servedZone: string | null };

export async function quoteRows(db: Database, optionId: string, country: string): Promise<QuoteRow[]> {
  const zone = zoneFor(db, country);
  return db
    .with(zone)
    .select({ ...columns, servedZone: zone.zoneId })
    .from(shippingOptions)
    .innerJoin(shippingRates, eq(shippingRates.optionId, shippingOptions.id))
    .leftJoin(zone, eq(shippingOptions.zoneId, zone.zoneId))
    .where(eq(shippingOptions.id, optionId));
}

/**
 * Prices one option (its `quoteRows`) for checkout. An unknown or inactive
 * option, or one whose zone does not serve `country`, is a validation failure
 * on `shippingOptionId`.
 */
export function priceQuote(rows: readonly QuoteRow[], country: string, weightGrams: number): Result<ShippingQuote> {
  const invalid = (message: string) => fail("VALIDATION_FAILED", message, [{ path: "shippingOptionId", message }]);
  const first = rows[0];
  if (!first || !first.active) return invalid("Unknown shipping option.");
  if (first.servedZone === null) return invalid(`This shipping option does not deliver to ${country}.`);
  const [priced] = toQuotes(rows, weightGrams);
  return priced ? ok(priced) : invalid("This shipping option cannot carry that weight.");
}

/** The admin view of an option with every band; NOT_FOUND when it does not exist. */
export async function getOptionDetail(db: Database, optionId: string): Promise<Result<ShippingOptionDetail>> {
  const [option] = await db.select().from(shippingOptions).where(eq(shippingOptions.id, optionId)).limit(1);
  if (!option) return fail("NOT_FOUND", "Shipping option not found.");
  const bands = sortBands(await db.select().from(shippingRates).where(eq(shippingRates.optionId, option.id)));
  return ok({
    id: option.id,
    zoneId: option.zoneId,
    name: option.name,
    carrier: option.carrier,
    estimatedDays: option.estimatedDays,
    active: option.active,
    price: { amount: priceFor(bands, 0) ?? 0, currency: option.currency },
    currency: option.currency,
    rates: bands,
  });
}
