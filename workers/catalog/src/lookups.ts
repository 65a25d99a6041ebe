import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { isUniqueViolation } from "../../../shared/db/client.ts";
import type { AnyDatabase } from "../../../shared/db/http.ts";
import { categories, products, variants } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import type { Category, CategoryInput, VariantInfo } from "../../../shared/schemas/catalog.ts";
import { recordChange } from "./catalog-version.ts";

/** All categories in creation order (the list is small by nature). */
export async function listCategories(db: Database): Promise<Category[]> {
  return db.select({ id: categories.id, name: categories.name, slug: categories.slug }).from(categories).orderBy(asc(categories.id)).limit(1000);
}

/** Creates a category; 409 SLUG_TAKEN when the slug exists. */
export async function createCategory(db: Database, input: CategoryInput): Promise<Result<{ category: Category; version: number }>> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx.insert(categories).values({ id: newId("cat"), name: input.name, slug: input.slug }).returning();
      if (!row) throw new Error("insert returned no row");
      // In the insert's transaction: a category never exists without the version that shows it.
      return ok({ category: { id: row.id, name: row.name, slug: row.slug }, version: await recordChange(tx, null) });
    });
  } catch (err) {
    if (isUniqueViolation(err)) return fail("SLUG_TAKEN", `The slug ${input.slug} is taken.`, [{ path: "slug", message: "Slug is taken" }]);
    throw err;
  }
}

/** Price, title and weight of live SKUs (cart and checkout); unknown or deleted SKUs are absent. */
export async function variantInfo(db: AnyDatabase, skus: string[]): Promise<Record<string, VariantInfo>> {
  const unique = [...new Set(skus)];
  if (unique.length === 0) return {};
  const rows = await db
    .select({ v: variants, productTitle: products.title })
    .from(variants)
    .innerJoin(products, eq(products.id, variants.productId))
    .where(and(inArray(variants.sku, unique), isNull(products.deletedAt)));
  return Object.fromEntries(
    rows.map(({ v, productTitle }) => [
      v.sku,
      { sku: v.sku, productId: v.productId, title: `${productTitle} - ${v.title}`, price: { amount: v.priceAmount, currency: v.priceCurrency }, weightGrams: v.weightGrams },
    ]),
  );
}

/** `{id, title}` of live products (favourites). */
export async function productSummaries(db: Database, ids: string[]): Promise<Record<string, { id: string; title: string }>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return {};
  const rows = await db
    .select({ id: products.id, title: products.title })
    .from(products)
    .where(and(inArray(products.id, unique), isNull(products.deletedAt)));
  return Object.fromEntries(rows.map((r) => [r.id, r]));
}
