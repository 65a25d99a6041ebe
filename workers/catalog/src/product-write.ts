import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { isUniqueViolation } from "../../../shared/db/client.ts";
import { categories, inventory, products, variants } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import { DEFAULT_WEIGHT_GRAMS, oneCurrencyMessage, type ProductCreateInput, type ProductPatchInput } from "../../../shared/schemas/catalog.ts";
import { recordChange } from "./catalog-version.ts";

async function categoryExists(db: Database, id: string): Promise<boolean> {
  const rows = await db.select({ id: categories.id }).from(categories).where(eq(categories.id, id)).limit(1);
  return rows.length > 0;
}

const unknownCategory = () => fail("VALIDATION_FAILED", "Unknown category.", [{ path: "categoryId", message: "No category has this id" }]);

/**
 * Inserts a product, its variants and their inventory records in one
 * transaction, with the catalog version bump; returns the new id and
 * version. StockDOs are initialised by the caller after the commit (Postgres
 * decides whether a SKU is taken).
 */
export async function insertProduct(db: Database, input: ProductCreateInput): Promise<Result<{ id: string; version: number }>> {
  if (!(await categoryExists(db, input.categoryId))) return unknownCategory();
  const skus = input.variants.map((v) => v.sku);
  const taken = await db.select({ sku: variants.sku }).from(variants).where(inArray(variants.sku, skus));
  if (taken.length > 0) return skuTaken(skus, taken.map((t) => t.sku));
  // The id and the timestamps from one clock reading: products listed by id are listed by createdAt too.
  const now = Date.now();
  const id = newId("prd", now);
  try {
    const version = await db.transaction(async (tx) => {
      await tx.insert(products).values({ id, title: input.title, description: input.description, categoryId: input.categoryId, createdAt: new Date(now), updatedAt: new Date(now) });
      await tx.insert(variants).values(
        input.variants.map((v, position) => ({
          sku: v.sku,
          productId: id,
          title: v.title,
          priceAmount: v.price.amount,
          priceCurrency: v.price.currency,
          weightGrams: v.weightGrams ?? DEFAULT_WEIGHT_GRAMS,
          position,
        })),
      );
      await tx.insert(inventory).values(input.variants.map((v) => ({ sku: v.sku, initial: v.initialStock, onHand: v.initialStock })));
      return recordChange(tx, id);
    });
    return ok({ id, version });
  } catch (err) {
    // Two creates racing for one SKU: the loser lands here.
    if (isUniqueViolation(err)) return skuTaken(skus, []);
    throw err;
  }
}

function skuTaken(skus: string[], taken: string[]): Result<never> {
  const names = taken.length > 0 ? taken : skus;
  const errors = skus.flatMap((sku, i) => (taken.length === 0 || taken.includes(sku) ? [{ path: `variants.${i}.sku`, message: `SKU ${sku} is taken` }] : []));
  return fail("SKU_TAKEN", `SKU already in use: ${names.join(", ")}.`, errors);
}

/**
 * Applies a patch, with the catalog version bump in its transaction (which
 * moves every cached read of the product, its pages and the price, title and
 * weight look-ups of carts and checkout to the new state). A variant named
 * changes the price, title and weight it is sent with; what is not sent
 * keeps its value. Returns the new version, or NOT_FOUND for a missing or
 * deleted product.
 */
export async function updateProduct(db: Database, id: string, input: ProductPatchInput): Promise<Result<number>> {
  const [product] = await db.select({ id: products.id }).from(products).where(and(eq(products.id, id), isNull(products.deletedAt))).limit(1);
  if (!product) return fail("NOT_FOUND", "Product not found.");
  if (input.categoryId !== undefined && !(await categoryExists(db, input.categoryId))) return unknownCategory();
  return db.transaction(async (tx) => {
    const patched = input.variants ?? [];
    if (patched.length > 0) {
      // Locked, so two patches can not each leave a currency the other one checked against.
      const own = await tx.select({ sku: variants.sku, currency: variants.priceCurrency }).from(variants).where(eq(variants.productId, id)).for("update");
      const refused = refusedVariantPatches(own, patched);
      if (refused) return refused;
    }
    await tx
      .update(products)
      .set({
        ...(input.title === undefined ? {} : { title: input.title }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.categoryId === undefined ? {} : { categoryId: input.categoryId }),
        updatedAt: new Date(),
      })
      .where(eq(products.id, id));
    for (const v of patched) {
      await tx
        .update(variants)
        .set({
          ...(v.price === undefined ? {} : { priceAmount: v.price.amount, priceCurrency: v.price.currency }),
          ...(v.title === undefined ? {} : { title: v.title }),
          ...(v.weightGrams === undefined ? {} : { weightGrams: v.weightGrams }),
        })
        .where(and(eq(variants.sku, v.sku), eq(variants.productId, id)));
    }
    return ok(await recordChange(tx, id));
  });
}

/**
 * A patch's variants, checked against the product's variants (`own`): each
 * SKU must be one of them, and a price in another currency than the variants
 * whose price the patch leaves as it is (not named, or named without a price)
 * is refused, so the product keeps one currency (the whole product changes
 * currency when every variant is repriced).
 */
function refusedVariantPatches(own: { sku: string; currency: string }[], patched: { sku: string; price?: { currency: string } }[]): Result<never> | null {
  const skus = new Set(own.map((v) => v.sku));
  const unknown = patched.flatMap((v, i) => (skus.has(v.sku) ? [] : [{ path: `variants.${i}.sku`, message: `SKU ${v.sku} is not a variant of this product` }]));
  if (unknown.length > 0) return fail("VALIDATION_FAILED", "Unknown variant.", unknown);
  const repriced = new Set(patched.flatMap((v) => (v.price ? [v.sku] : [])));
  const kept = own.find((v) => !repriced.has(v.sku));
  if (!kept) return null;
  const mixed = patched.flatMap((v, i) => (!v.price || v.price.currency === kept.currency ? [] : [{ path: `variants.${i}.price.currency`, message: oneCurrencyMessage(kept.currency) }]));
  return mixed.length > 0 ? fail("VALIDATION_FAILED", "A product's variants share one currency.", mixed) : null;
}

/** SKUs of a live product, or null when it is missing or deleted. */
export async function liveProductSkus(db: Database, id: string): Promise<string[] | null> {
  const [product] = await db.select({ id: products.id }).from(products).where(and(eq(products.id, id), isNull(products.deletedAt))).limit(1);
  if (!product) return null;
  return (await db.select({ sku: variants.sku }).from(variants).where(eq(variants.productId, id))).map((r) => r.sku);
}

/**
 * Soft-deletes a product (its SKUs stay taken), with the catalog version
 * bump in its transaction. Returns the new version; null when it was already gone.
 */
export async function softDeleteProduct(db: Database, id: string): Promise<number | null> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(products)
      .set({ deletedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(products.id, id), isNull(products.deletedAt)))
      .returning({ id: products.id });
    return rows.length > 0 ? recordChange(tx, id) : null;
  });
}
