import { and, asc, eq, gt, inArray, isNull, or, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { categories, inventory, products, variants, type CategoryRow, type ProductRow } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { decodeCursor, toPage, type Page } from "../../../shared/pagination.ts";
import type { Product, ProductDoc, ProductListQuery } from "../../../shared/schemas/catalog.ts";
import { readStarted, remember, rememberedAvailable } from "./available-cache.ts";
import type { StockOf } from "./stock.ts";
import { own } from "../../../shared/records.ts";

/** A product document plus, per SKU, the initial stock Postgres knows (to heal an uninitialised StockDO). */
export interface LoadedDoc {
  doc: ProductDoc;
  initial: Record<string, number>;
}

/** Escapes LIKE wildcards so `q` is matched literally. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/**
 * `q` as a case-insensitive substring of a column, both sides in Unicode
 * compatibility form (NFKC): `é` typed as one code point or as `e` plus a
 * combining accent, a full-width `Ａ` or the ligature `ﬁ`, finds the same text.
 * Stored text is left as written.
 */
function containsText(column: AnyColumn, q: string): SQL {
  return sql`normalize(${column}, NFKC) ilike ${likePattern(q.normalize("NFKC"))}`;
}

async function build(db: Database, rows: { product: ProductRow; category: CategoryRow }[]): Promise<LoadedDoc[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.product.id);
  const vs = await db
    .select({ v: variants, initial: inventory.initial })
    .from(variants)
    .leftJoin(inventory, eq(inventory.sku, variants.sku))
    .where(inArray(variants.productId, ids))
    .orderBy(asc(variants.productId), asc(variants.position));
  return rows.map(({ product: p, category: c }) => {
    const mine = vs.filter((x) => x.v.productId === p.id);
    return {
      doc: {
        id: p.id,
        title: p.title,
        description: p.description,
        category: { id: c.id, name: c.name, slug: c.slug },
        variants: mine.map(({ v }) => ({ sku: v.sku, title: v.title, price: { amount: v.priceAmount, currency: v.priceCurrency }, weightGrams: v.weightGrams })),
        createdAt: p.createdAt.toISOString(),
        updatedAt: p.updatedAt.toISOString(),
      },
      initial: Object.fromEntries(mine.map((x) => [x.v.sku, x.initial ?? 0])),
    };
  });
}

/** One live (not deleted) product document, or NOT_FOUND. */
export async function loadProduct(db: Database, id: string): Promise<Result<LoadedDoc>> {
  const rows = await db
    .select({ product: products, category: categories })
    .from(products)
    .innerJoin(categories, eq(categories.id, products.categoryId))
    .where(and(eq(products.id, id), isNull(products.deletedAt)))
    .limit(1);
  const [doc] = await build(db, rows);
  return doc ? ok(doc) : fail("NOT_FOUND", "Product not found.");
}

/** A page of live products in id order (keyset: `id > cursor`, stable while rows change). */
export async function loadProductPage(db: Database, query: ProductListQuery): Promise<Result<Page<LoadedDoc>>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, "prd");
  if (after === null) return fail("VALIDATION_FAILED", "Invalid cursor.", [{ path: "cursor", message: "Invalid cursor" }]);
  const conditions: (SQL | undefined)[] = [isNull(products.deletedAt)];
  if (after) conditions.push(gt(products.id, after));
  if (query.category) conditions.push(eq(categories.slug, query.category));
  if (query.q) conditions.push(or(containsText(products.title, query.q), containsText(products.description, query.q)));
  const rows = await db
    .select({ product: products, category: categories })
    .from(products)
    .innerJoin(categories, eq(categories.id, products.categoryId))
    .where(and(...conditions))
    .orderBy(asc(products.id))
    .limit(query.limit + 1);
  const page = toPage(rows.map((r) => ({ id: r.product.id, row: r })), query.limit);
  const docs = await build(db, page.items.map((i) => i.row));
  return ok({ items: docs, nextCursor: page.nextCursor });
}

/**
 * Adds `available` from the StockDOs (or what this isolate read from them
 * less than `ttlMs` ago, see available-cache.ts). A StockDO that was never
 * initialised (its creation call failed after Postgres committed) is
 * initialised here from the stock Postgres recorded, so it heals on first read.
 */
export async function withAvailability(stockOf: StockOf, docs: LoadedDoc[], ttlMs = 0): Promise<Product[]> {
  const skus = docs.flatMap((d) => d.doc.variants.map((v) => ({ sku: v.sku, productId: d.doc.id, initial: own(d.initial, v.sku) ?? 0 })));
  const avail = await Promise.all(
    skus.map(async ({ sku, productId, initial }) => {
      const known = rememberedAvailable(sku, ttlMs);
      if (known !== undefined) return known;
      const started = readStarted();
      const s = await stockOf(sku).snapshot();
      if (s.status !== "uninitialised") {
        remember(sku, s.available, started);
        return s.available;
      }
      return (await stockOf(sku).initialise(sku, initial, productId)).available;
    }),
  );
  const bySku = new Map(skus.map((s, i) => [s.sku, avail[i] ?? 0]));
  return docs.map(({ doc }) => ({ ...doc, variants: doc.variants.map((v) => ({ ...v, available: bySku.get(v.sku) ?? 0 })) }));
}
