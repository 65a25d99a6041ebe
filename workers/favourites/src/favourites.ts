import { and, count, desc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { favourites } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { Favourite } from "../../../shared/schemas/favourites.ts";
import { own } from "../../../shared/records.ts";

/**
 * Favourites one account keeps at most: a favourites list is a shortlist, and
 * one list read (and one catalog RPC) carries every id, so the list is never
 * cut short.
 */
export const MAX_FAVOURITES = 1000;

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
    .limit(MAX_FAVOURITES);
  if (rows.length === 0) return [];
  const existing = await summaries(rows.map((r) => r.productId));
  return rows.filter((r) => existing[r.productId]).map((r) => ({ productId: r.productId, addedAt: r.addedAt.toISOString() }));
}

/**
 * Adds a product (404 NOT_FOUND when the catalog does not know it or it was
 * deleted). Idempotent: a repeat keeps the first `addedAt`, also at the cap.
 * An account keeps at most `max` (409 CONFLICT beyond); favourites of
 * products deleted since, which no longer show, make room rather than count.
 * The check and the insert hold a per-user transaction lock, so two adds at
 * once can not both take the last place. The catalog is asked outside the
 * transaction, never inside it: a transaction waiting on another Worker's
 * query would hold its connection (and the lock) for that whole call, and on
 * a database that serialises its sessions (the local PGlite) it would wait
 * for itself.
 */
export async function addFavourite(db: Database, summaries: ProductSummaries, userId: string, productId: string, max = MAX_FAVOURITES): Promise<Result<null>> {
  const existing = await summaries([productId]);
  if (!own(existing, productId)) return fail("NOT_FOUND", "Product not found.");
  const first = await addWithin(db, userId, productId, max, null);
  if (first !== FULL) return first;
  // At the cap: find the favourites whose products were deleted since (outside any transaction), then try again.
  return (await addWithin(db, userId, productId, max, await deletedAmong(db, summaries, userId))) as Result<null>;
}

const FULL = Symbol("full");

/** One attempt under the user's lock; FULL when the cap is reached and `gone` (deleted products) is not known yet. */
async function addWithin(db: Database, userId: string, productId: string, max: number, gone: string[] | null): Promise<Result<null> | typeof FULL> {
  const mine = eq(favourites.userId, userId);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`favourites:${userId}`}, 0))`);
    if ((await kept(tx, userId)) >= max) {
      const [already] = await tx.select({ id: favourites.productId }).from(favourites).where(and(mine, eq(favourites.productId, productId)));
      if (already) return ok(null);
      if (gone === null) return FULL;
      if (gone.length > 0) await tx.delete(favourites).where(and(mine, inArray(favourites.productId, gone)));
      if ((await kept(tx, userId)) >= max) return fail("CONFLICT", `An account keeps at most ${max} favourites: remove one to add another.`);
    }
    await tx.insert(favourites).values({ userId, productId }).onConflictDoNothing();
    return ok(null);
  });
}

async function kept(db: Pick<Database, "select">, userId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(favourites).where(eq(favourites.userId, userId));
  return row?.n ?? 0;
}

/** The user's favourites whose products the catalog no longer has. */
async function deletedAmong(db: Database, summaries: ProductSummaries, userId: string): Promise<string[]> {
  const ids = (await db.select({ id: favourites.productId }).from(favourites).where(eq(favourites.userId, userId))).map((r) => r.id);
  const live = await summaries(ids);
  return ids.filter((id) => !own(live, id));
}

/** Removes a product from the user's favourites; removing what is not there is fine (idempotent). */
export async function removeFavourite(db: Database, userId: string, productId: string): Promise<Result<null>> {
  await db.delete(favourites).where(and(eq(favourites.userId, userId), eq(favourites.productId, productId)));
  return ok(null);
}
