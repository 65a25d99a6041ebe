import type { Context } from "hono";
import type { Result } from "../../../shared/errors.ts";
import { SingleFlight } from "../../../shared/single-flight.ts";
import type { AppEnv } from "./context.ts";

/**
 * Tier 1 of catalog reads: the finished JSON of public catalog responses
 * (product, page of products, categories), kept in this gateway isolate's
 * memory for `ttlMs`, so a hot product costs no RPC, no Cache API lookup and
 * no StockDO call. Tier 2 is the catalog Worker's Cache API.
 *
 * What a read can see:
 * - an entry is served for at most `ttlMs` after it was fetched; with the
 *   catalog's own bound that makes any response at most two TTLs old, which
 *   the commit wait of admin writes (`commitWait`) outlasts;
 * - stock changes and admin writes that pass through this isolate drop the
 *   entries they touch at once (`invalidateSkus`, `clear`).
 * Concurrent misses of one key share one fetch, if it started less than a
 * TTL ago (an older one could be older than the commit wait allows for).
 */

interface Entry {
  /**
   * The JSON as UTF-8, encoded once when stored: a response built from a
   * string encodes it on every request, which for a 14 KB page of products
   * was a measurable part of a cached read (load/FINDINGS.md, seventeenth
   * session). Every response of the entry shares these bytes (workerd reads a
   * body's buffer in place, it does not copy it), so nothing may write to them.
   */
  bytes: Uint8Array<ArrayBuffer>;
  fetchedAt: number;
  skus: readonly string[];
  /** The route that stored it (`/v1/products/:id`), for the fast path's log record. */
  route: string;
}

export const DEFAULT_TTL_MS = 1000;
const utf8 = new TextEncoder();
const MAX_ENTRIES = 5000;
/**
 * The bodies one isolate keeps, at most: a quarter of a Worker's 128 MB.
 * Keys are URLs as sent, so 5,000 pages of 14 KB (any query string makes a new
 * key) would otherwise hold 70 MB.
 */
export const MAX_BYTES = 32 * 1024 * 1024;

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  /** SKU -> keys of the entries showing it, so an invalidation touches only those. */
  private readonly keysBySku = new Map<string, Set<string>>();
  private readonly loads: SingleFlight<Result<Uint8Array<ArrayBuffer>>>;
  /**
   * Invalidation clock: a fetch that started before an invalidation of one of
   * its SKUs (or a clear) must not store its possibly older result.
   */
  private generation = 0;
  private clearedAt = 0;
  private readonly skuInvalidatedAt = new Map<string, number>();

  /** The bodies' bytes held now. */
  private bytesHeld = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxBytes = MAX_BYTES,
  ) {
    this.loads = new SingleFlight(undefined, now);
  }

  /**
   * The cached JSON for `key` (UTF-8), or `load`'s value serialised, stored
   * when it succeeded. `skusOf` names the SKUs whose stock the value shows.
   */
  async read<T>(
    key: string,
    ttlMs: number,
    load: () => Promise<Result<T>>,
    skusOf: (v: T) => readonly string[],
    waitUntil?: (p: Promise<unknown>) => void,
    route = key,
  ): Promise<Result<Uint8Array<ArrayBuffer>>> {
    const hit = this.peek(key, ttlMs);
    if (hit) return { ok: true, value: hit.bytes };
    // A load older than the TTL is not joined: its answer could be older than the commit wait allows for.
    return this.loads.run(key, () => this.fetch(key, load, skusOf, route), waitUntil, ttlMs);
  }

  /** The fresh entry for `key`, if there is one (no load). */
  peek(key: string, ttlMs: number): { bytes: Uint8Array<ArrayBuffer>; route: string } | undefined {
    const hit = this.entries.get(key);
    return hit && this.now() - hit.fetchedAt < ttlMs ? hit : undefined;
  }

  private async fetch<T>(key: string, load: () => Promise<Result<T>>, skusOf: (v: T) => readonly string[], route: string): Promise<Result<Uint8Array<ArrayBuffer>>> {
    const fetchedAt = this.now();
    const generation = this.generation;
    const r = await load();
    if (!r.ok) return r;
    const bytes = utf8.encode(JSON.stringify(r.value)) as Uint8Array<ArrayBuffer>; // a new ArrayBuffer, never a shared one
    const skus = skusOf(r.value);
    if (!this.invalidatedSince(generation, skus)) this.store(key, { bytes, fetchedAt, skus, route });
    return { ok: true, value: bytes };
  }

  private invalidatedSince(generation: number, skus: readonly string[]): boolean {
    return this.clearedAt > generation || skus.some((s) => (this.skuInvalidatedAt.get(s) ?? -1) > generation);
  }

  private store(key: string, entry: Entry): void {
    // A load that started before the entry held now was fetched (an old one finishing late) never replaces it.
    if ((this.entries.get(key)?.fetchedAt ?? Number.NEGATIVE_INFINITY) > entry.fetchedAt) return;
    this.drop(key);
    this.entries.set(key, entry);
    this.bytesHeld += entry.bytes.byteLength;
    for (const sku of entry.skus) {
      let keys = this.keysBySku.get(sku);
      if (!keys) this.keysBySku.set(sku, (keys = new Set()));
      keys.add(key);
    }
    // Oldest first: Map keeps insertion order, and a refreshed key moves to the end.
    while (this.entries.size > MAX_ENTRIES || this.bytesHeld > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytesHeld -= entry.bytes.byteLength;
    for (const sku of entry.skus) {
      const keys = this.keysBySku.get(sku);
      keys?.delete(key);
      if (keys?.size === 0) this.keysBySku.delete(sku);
    }
  }

  /** Drops every entry showing one of `skus` (their `available` changed). */
  invalidateSkus(skus: readonly string[]): void {
    if (skus.length === 0) return;
    this.generation++;
    this.loads.detach(); // a fetch that started before this may show what it replaced
    if (this.skuInvalidatedAt.size > MAX_ENTRIES) return this.clear();
    for (const s of skus) {
      this.skuInvalidatedAt.set(s, this.generation);
      for (const key of [...(this.keysBySku.get(s) ?? [])]) this.drop(key);
    }
  }

  /** Drops everything (a product, price or category changed). */
  clear(): void {
    this.clearedAt = ++this.generation;
    this.loads.detach();
    this.skuInvalidatedAt.clear();
    this.entries.clear();
    this.keysBySku.clear();
    this.bytesHeld = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The bytes of the bodies held now. */
  get bytes(): number {
    return this.bytesHeld;
  }
}

/** The isolate's one cache: module scope outlives requests, which is the point. */
export const catalogReads = new ReadCache();

/**
 * The read cache's key of a request: its path and query exactly as sent, so
 * the fast path (cached-read.ts) finds an entry without parsing or validating
 * anything. Only a route that validated the same URL can have stored it.
 */
export function readKey(url: string): string {
  return url.slice(url.indexOf("/", url.indexOf("//") + 2));
}

/** A public catalog read through this isolate's cache: `load` on a miss, keyed by the request's URL. */
export function readThrough<T>(c: Context<AppEnv>, load: () => Promise<Result<T>>, skusOf: (v: T) => readonly string[]): Promise<Result<Uint8Array<ArrayBuffer>>> {
  return catalogReads.read(readKey(c.req.url), readTtl(c.env), load, skusOf, (p) => c.executionCtx.waitUntil(p), c.req.routePath);
}

/** `CATALOG_READ_TTL_MS`, or the default when unset or malformed. */
export function readTtl(env: { CATALOG_READ_TTL_MS?: string }): number {
  const ttl = Number(env.CATALOG_READ_TTL_MS);
  return env.CATALOG_READ_TTL_MS !== undefined && Number.isFinite(ttl) && ttl >= 0 ? ttl : DEFAULT_TTL_MS;
}

/**
 * After a successful catalog write: drops what this isolate cached, then
 * waits `CATALOG_COMMIT_WAIT_MS` so that every other isolate's and colo's
 * cached copy has expired before the client hears "done" (a commit wait:
 * a read that starts after the response can only see the write).
 */
export async function afterCatalogWrite(env: { CATALOG_COMMIT_WAIT_MS?: string }, skus?: readonly string[]): Promise<void> {
  if (skus) catalogReads.invalidateSkus(skus);
  else catalogReads.clear();
  const wait = Number(env.CATALOG_COMMIT_WAIT_MS);
  if (Number.isFinite(wait) && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** `result`, once a successful write is settled (`afterCatalogWrite`); only the SKUs' stock changed when `skus` is given. */
export async function settled<T>(env: { CATALOG_COMMIT_WAIT_MS?: string }, result: Result<T>, skus?: readonly string[]): Promise<Result<T>> {
  if (result.ok) await afterCatalogWrite(env, skus);
  return result;
}
