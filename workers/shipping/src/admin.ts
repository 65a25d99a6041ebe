import { and, arrayOverlaps, asc, eq, ne, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { shippingOptions, shippingRates, shippingZones } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import type {
  CreateShippingOptionInput,
  CreateShippingZoneInput,
  ShippingOptionDetail,
  ShippingZone,
  UpdateShippingOptionInput,
  UpdateShippingZoneInput,
} from "../../../shared/schemas/shipping.ts";
import { getOptionDetail } from "./options.ts";

export const DEFAULT_CARRIER = "EdgePost";

type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

function toZone(row: typeof shippingZones.$inferSelect): ShippingZone {
  return { id: row.id, name: row.name, countries: row.countries, isDefault: row.isDefault };
}

/**
 * A country belongs to at most one zone (else pricing would be ambiguous).
 * Takes the zones' advisory lock, so two concurrent writes cannot both claim
 * a country, and answers 409 CONFLICT when a zone other than `exceptId`
 * already serves one of `countries`, or null.
 */
async function claimCountries(tx: Tx, countries: readonly string[], exceptId?: string): Promise<Result<never> | null> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('shipping_zones'))`);
  if (countries.length === 0) return null;
  const overlap = arrayOverlaps(shippingZones.countries, [...countries]);
  const [taken] = await tx.select().from(shippingZones).where(exceptId === undefined ? overlap : and(overlap, ne(shippingZones.id, exceptId))).limit(1);
  if (!taken) return null;
  const clash = countries.filter((c) => taken.countries.includes(c)).join(", ");
  return fail("CONFLICT", `Already served by zone ${taken.id}: ${clash}.`);
}

/** Creates a zone; a country another zone serves is 409 CONFLICT (`claimCountries`). */
export async function createZone(db: Database, input: CreateShippingZoneInput): Promise<Result<ShippingZone>> {
  const countries = [...new Set(input.countries)].sort();
  return db.transaction(async (tx) => {
    const refused = await claimCountries(tx, countries);
    if (refused) return refused;
    const [row] = await tx.insert(shippingZones).values({ id: newId("shz"), name: input.name, countries }).returning();
    if (!row) throw new Error("insert returned no row");
    return ok(toZone(row));
  });
}

/**
 * Renames a zone or replaces its countries, under the same lock and overlap
 * rule as `createZone` (409 when another zone serves one of them). A zone
 * left with no countries serves none: they go back to rest of world, and its
 * options (kept, as past orders name them) quote nowhere. The rest-of-world
 * zone lists no countries; it serves those no other zone lists.
 */
export async function updateZone(db: Database, id: string, input: UpdateShippingZoneInput): Promise<Result<ShippingZone>> {
  const countries = input.countries === undefined ? undefined : [...new Set(input.countries)].sort();
  return db.transaction(async (tx) => {
    const refused = await claimCountries(tx, countries ?? [], id);
    const [zone] = await tx.select().from(shippingZones).where(eq(shippingZones.id, id)).limit(1);
    if (!zone) return fail("NOT_FOUND", "Shipping zone not found.");
    if (zone.isDefault && countries !== undefined) {
      return fail("VALIDATION_FAILED", "The rest-of-world zone serves every country no other zone lists; it takes no list.", [{ path: "countries", message: "Not for the rest-of-world zone" }]);
    }
    if (refused) return refused;
    const changes = { ...(input.name === undefined ? {} : { name: input.name }), ...(countries === undefined ? {} : { countries }) };
    // A body naming no field changes nothing: the zone as it is.
    const [row] = Object.keys(changes).length === 0 ? [zone] : await tx.update(shippingZones).set(changes).where(eq(shippingZones.id, id)).returning();
    if (!row) throw new Error("update returned no row");
    return ok(toZone(row));
  });
}

/** Every zone, default last; admins need zone ids to add options. */
export async function listZones(db: Database): Promise<ShippingZone[]> {
  const rows = await db.select().from(shippingZones).orderBy(asc(shippingZones.isDefault), asc(shippingZones.id)).limit(500);
  return rows.map(toZone);
}

/** Creates an option with its weight bands, in its currency, in one zone (404 when the zone does not exist). */
export async function createOption(db: Database, input: CreateShippingOptionInput): Promise<Result<ShippingOptionDetail>> {
  const [zone] = await db.select().from(shippingZones).where(eq(shippingZones.id, input.zoneId)).limit(1);
  if (!zone) return fail("NOT_FOUND", "Shipping zone not found.");
  const id = newId("shp");
  await db.transaction(async (tx) => {
    await tx.insert(shippingOptions).values({
      id,
      zoneId: zone.id,
      name: input.name,
      carrier: input.carrier ?? DEFAULT_CARRIER,
      estimatedDays: input.estimatedDays,
      currency: input.currency,
    });
    await tx.insert(shippingRates).values(input.rates.map((r) => ({ optionId: id, ...r })));
  });
  return getOptionDetail(db, id);
}

/**
 * Edits an option. `price` sets the 0 g band's base (the price shoppers see
 * for a light parcel) and must be in the option's currency; `rates` replaces
 * every band at once, so pricing never mixes old and new bands.
 */
export async function updateOption(db: Database, id: string, input: UpdateShippingOptionInput): Promise<Result<ShippingOptionDetail>> {
  const [option] = await db.select().from(shippingOptions).where(eq(shippingOptions.id, id)).limit(1);
  if (!option) return fail("NOT_FOUND", "Shipping option not found.");
  if (input.price && input.price.currency !== option.currency) {
    const message = `Must be ${option.currency}`;
    return fail("VALIDATION_FAILED", "The price currency differs from the option's currency.", [{ path: "price.currency", message }]);
  }
  await db.transaction(async (tx) => {
    await tx
      .update(shippingOptions)
      .set({
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.estimatedDays === undefined ? {} : { estimatedDays: input.estimatedDays }),
        ...(input.active === undefined ? {} : { active: input.active }),
        updatedAt: new Date(),
      })
      .where(eq(shippingOptions.id, id));
    if (input.price) {
      await tx
        .insert(shippingRates)
        .values({ optionId: id, minWeightGrams: 0, baseAmount: input.price.amount, perKgAmount: 0 })
        .onConflictDoUpdate({ target: [shippingRates.optionId, shippingRates.minWeightGrams], set: { baseAmount: input.price.amount } });
    }
    if (input.rates) {
      await tx.delete(shippingRates).where(eq(shippingRates.optionId, id));
      await tx.insert(shippingRates).values(input.rates.map((r) => ({ optionId: id, ...r })));
    }
  });
  return getOptionDetail(db, id);
}
