import { instrumentDurableObjectWithSentry, withSentry } from "@sentry/cloudflare";
import { StockDO as StockDOClass } from "../../../durable/stock-do.ts";
import { sentryOptions, sentryWhenConfigured } from "../../../shared/observability.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { Page } from "../../../shared/pagination.ts";
import type {
  AdjustmentInput, CartVariantInfo, Category, CategoryInput, Inventory, InventoryLedgerEntry, Product, ProductCreateInput, ProductListQuery, ProductPatchInput, StockItem, VariantInfo,
} from "../../../shared/schemas/catalog.ts";
import { cartVariantsOf } from "../../../shared/schemas/catalog.ts";
import { DomainService } from "../../../shared/service.ts";
import { AVAILABLE_TTL_MS, forgettingChanges } from "./available-cache.ts";
import { DEFAULT_READ_TTL_MS, cached, type CacheOptions } from "./cache.ts";
import { publishChange } from "./catalog-version.ts";
import { adjustInventory, getInventory, getInventoryLedger, toInventory } from "./inventory.ts";
import { syncLater } from "./inventory-sync.ts";
import { createCategory, listCategories, productSummaries, variantInfo } from "./lookups.ts";
import { loadProduct, loadProductPage, withAvailability, type LoadedDoc } from "./product-read.ts";
import { insertProduct, liveProductSkus, softDeleteProduct, updateProduct } from "./product-write.ts";
import { commitAll, releaseAll, restockAll } from "./settle.ts";
import { availability, reserveAll, type StockOf } from "./stock.ts";
import { traceObjectMethods } from "../../../shared/traced-object.ts";

/**
 * RPC surface of the catalog Worker: categories and products (Postgres,
 * edge-cached), stock (one StockDO per SKU, hosted here) and the durable
 * inventory record. Inputs from the gateway arrive validated. Product reads
 * cache the documents only; `available` is read live from the StockDOs on
 * every call, so stock changes need no cache invalidation here.
 */
class CatalogServiceBase extends DomainService<CatalogEnv> {
  protected static override readonly worker = "catalog";
  protected readonly stockOf: StockOf = (sku) => forgettingChanges(sku, this.env.STOCK.get(this.env.STOCK.idFromName(sku)));
  private readonly later = (p: Promise<unknown>): void => this.ctx.waitUntil(p);
  private readonly readTtl = (): number => {
    const ttl = Number(this.env.CATALOG_READ_TTL_MS);
    return this.env.CATALOG_READ_TTL_MS !== undefined && Number.isFinite(ttl) && ttl >= 0 ? ttl : DEFAULT_READ_TTL_MS;
  };

  private readonly cacheOptions = <T>(cacheable: (v: T) => boolean): CacheOptions<T> => ({ ttlMs: this.readTtl(), cacheable, waitUntil: this.later, db: () => this.db() });

  async listCategories(): Promise<{ items: Category[] }> {
    return cached("categories", async () => ({ items: await listCategories(this.db()) }), this.cacheOptions(() => true));
  }

  async createCategory(input: CategoryInput): Promise<Result<Category>> {
    const db = this.db();
    const began = Date.now();
    const r = await createCategory(db, input);
    if (!r.ok) return r;
    await publishChange(db, r.value.version, null, began);
    return ok(r.value.category);
  }

  async listProducts(query: ProductListQuery): Promise<Result<Page<Product>>> {
    // `match=nfkc`: a search page of this build (NFKC matching) is never served to or from a build that matched otherwise.
    const key = `products?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))}${query.q ? "&match=nfkc" : ""}`;
    const page = await cached(key, () => loadProductPage(this.db(), query), this.cacheOptions<Result<Page<LoadedDoc>>>((r) => r.ok));
    if (!page.ok) return page;
    return ok({ items: await withAvailability(this.stockOf, page.value.items, AVAILABLE_TTL_MS), nextCursor: page.value.nextCursor });
  }

  async getProduct(id: string): Promise<Result<Product>> {
    const loaded = await cached(`products/${encodeURIComponent(id)}`, () => loadProduct(this.db(), id), this.cacheOptions<Result<LoadedDoc>>((r) => r.ok), { product: id });
    return this.withStock(loaded);
  }

  async createProduct(input: ProductCreateInput): Promise<Result<Product>> {
    const db = this.db();
    const began = Date.now();
    const created = await insertProduct(db, input);
    if (!created.ok) return created;
    const { id, version } = created.value;
    await publishChange(db, version, id, began);
    // A StockDO whose initialise fails here is initialised from Postgres by the first read of its SKU.
    const snaps = await Promise.all(input.variants.map((v) => this.stockOf(v.sku).initialise(v.sku, v.initialStock, id)));
    syncLater(this.later, () => this.httpDb(), snaps);
    return this.freshProduct(id, db);
  }

  /**
   * `updateProduct` under a name the previous release lacks: the gateway calls it for a patch
   * only this release understands (a variant's title or weight, or no price), so a rollout
   * answers 503 where an older catalog would drop those fields with a 200, or fail with a 500.
   */
  async updateProductDetails(id: string, input: ProductPatchInput): Promise<Result<Product>> {
    return this.updateProduct(id, input);
  }

  async updateProduct(id: string, input: ProductPatchInput): Promise<Result<Product>> {
    const db = this.db();
    const began = Date.now();
    const r = await updateProduct(db, id, input);
    if (!r.ok) return r;
    await publishChange(db, r.value, id, began);
    return this.freshProduct(id, db);
  }

  /** Retires the StockDOs first (no new holds), then hides the product. */
  async deleteProduct(id: string): Promise<Result<null>> {
    const db = this.db();
    const skus = await liveProductSkus(db, id);
    if (!skus) return fail("NOT_FOUND", "Product not found.");
    await Promise.all(skus.map((sku) => this.stockOf(sku).retire()));
    const began = Date.now();
    const version = await softDeleteProduct(db, id);
    if (version === null) return fail("NOT_FOUND", "Product not found.");
    await publishChange(db, version, id, began);
    return ok(null);
  }

  async getInventory(sku: string): Promise<Result<Inventory>> {
    return getInventory(this.stockOf, () => this.db(), sku);
  }

  async getInventoryLedger(sku: string, query: { limit: number; cursor?: string }): Promise<Result<Page<InventoryLedgerEntry>>> {
    return getInventoryLedger(this.stockOf, () => this.db(), sku, query);
  }

  async adjustInventory(sku: string, input: AdjustmentInput): Promise<Result<Inventory>> {
    const r = await this.adjustInventoryOnce(sku, input);
    return r.ok ? ok(r.value.inventory) : r;
  }

  /** An adjustment made once per `operationKey` (`<admin id>:<Idempotency-Key>`); `replayed` when an earlier call made it. */
  async adjustInventoryOnce(sku: string, input: AdjustmentInput, operationKey?: string): Promise<Result<{ inventory: Inventory; replayed: boolean }>> {
    const r = await adjustInventory(this.stockOf, () => this.db(), sku, input, operationKey);
    if (!r.ok) return r;
    if (!r.value.replayed) syncLater(this.later, () => this.httpDb(), [r.value.snapshot]);
    return ok({ inventory: toInventory(r.value.snapshot, sku), replayed: r.value.replayed });
  }

  // ---- contract for other Workers (see the cross-Worker RPC contracts) ----

  /** Price snapshots for carts: versioned like product documents, so a warm add-to-cart costs no Postgres read. */
  async getVariants(skus: string[]): Promise<Record<string, VariantInfo>> {
    const key = `variants?${[...new Set(skus)].sort().map(encodeURIComponent).join(",")}`;
    // One query on a miss (a cold add-to-cart): the HTTP path, not a session.
    return cached(key, () => variantInfo(this.httpDb(), skus), this.cacheOptions(() => true));
  }

  async getAvailability(skus: string[]): Promise<Record<string, number>> {
    return availability(this.stockOf, skus);
  }

  /**
   * `getVariants` and `getAvailability` in one call, for add to cart: one RPC
   * hop instead of two on the path every shopper of a flash sale takes. A SKU
   * is in the answer only when it is both sold and stocked.
   */
  async getCartVariants(skus: string[]): Promise<Record<string, CartVariantInfo>> {
    const [variants, available] = await Promise.all([this.getVariants(skus), availability(this.stockOf, skus)]);
    return cartVariantsOf(variants, available);
  }

  async reserve(reservationId: string, items: StockItem[], ttlSeconds: number): Promise<Result<{ expiresAt: string }>> {
    return reserveAll(this.stockOf, reservationId, items, ttlSeconds);
  }

  async commit(reservationId: string, skus: string[]): Promise<Result<null>> {
    const { result, changed } = await commitAll(this.stockOf, reservationId, skus);
    syncLater(this.later, () => this.httpDb(), changed);
    return result;
  }

  async release(reservationId: string, skus: string[]): Promise<Result<null>> {
    return (await releaseAll(this.stockOf, reservationId, skus)).result;
  }

  async restock(operationId: string, items: StockItem[], reason: string): Promise<Result<null>> {
    const { result, changed } = await restockAll(this.stockOf, operationId, items, reason);
    syncLater(this.later, () => this.httpDb(), changed);
    return result;
  }

  async getProductSummaries(ids: string[]): Promise<Record<string, { id: string; title: string }>> {
    return productSummaries(this.db(), ids);
  }

  /** After a write: live stock, nothing remembered. */
  private async freshProduct(id: string, db = this.db()): Promise<Result<Product>> {
    return this.withStock(await loadProduct(db, id), 0);
  }

  private async withStock(loaded: Result<LoadedDoc>, ttlMs = AVAILABLE_TTL_MS): Promise<Result<Product>> {
    if (!loaded.ok) return loaded;
    const [product] = await withAvailability(this.stockOf, [loaded.value], ttlMs);
    return product ? ok(product) : fail("NOT_FOUND", "Product not found.");
  }
}

/** Instrumented with Sentry: a thrown error (a bug, never an expected failure) is reported. */
export const CatalogService = sentryWhenConfigured(CatalogServiceBase, withSentry((env: CatalogEnv) => sentryOptions(env), CatalogServiceBase));
export default CatalogService;
/** The Durable Object class, instrumented so its errors reach Sentry too. */
export type StockDO = StockDOClass;
export const StockDO = sentryWhenConfigured(StockDOClass, instrumentDurableObjectWithSentry((env: CatalogEnv) => sentryOptions(env), traceObjectMethods(StockDOClass)));
