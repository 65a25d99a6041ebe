import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { favourites } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { Favourite } from "../../../shared/schemas/favourites.ts";

/** Upper bound on one list: a favourites list is a shortlist, and one RPC carries every id. */
export const MAX_LISTED = 1000;

/** The one catalog call favourites depends on (CatalogService.getProductSummaries). */
export type ProductSummaries = (ids: string[]) => Promise<Record<string, { id: string; title: string }>>;

/**
 * The user's favourites, newest first. Products deleted from the catalog
 * drop out here, at read time, so deleting a product never has to reach
 * into every user's list (and a restored product would come back).
 */
export async function listFavourites(db: Database, summaries: ProductSummaries, userId: string): Promise<Favourite[]> {
  const rows = await db
    .select()
    .from(favourites)
    .where(eq(favourites.userId, userId))
    .orderBy(desc(favourites.addedAt), desc(favourites.productId))
    .limit(MAX_LISTED);
  if (rows.length === 0) return [];
  const existing = await summaries(rows.map((r) => r.productId));
  return rows.filter((r) => existing[r.productId]).map((r) => ({ productId: r.productId, addedAt: r.addedAt.toISOString() }));
}

/**
 * Adds a product (404 NOT_FOUND when the catalog does not know it or it was
 * deleted). Idempotent: a repeat keeps the first `addedAt`.
 */
export async function addFavourite(db: Database, summaries: ProductSummaries, userId: string, productId: string): Promise<Result<null>> {
  const existing = await summaries([productId]);
  if (!existing[productId]) return fail("NOT_FOUND", "Product not found.");
  await db.insert(favourites).values({ userId, productId }).onConflictDoNothing();
  return ok(null);
}

/** Removes a product from the user's favourites; removing what is not there is fine (idempotent). */
export async function removeFavourite(db: Database, userId: string, productId: string): Promise<Result<null>> {
  await db.delete(favourites).where(and(eq(favourites.userId, userId), eq(favourites.productId, productId)));
  return ok(null);
}
