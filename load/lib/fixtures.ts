/**
 * Data the journeys draw from, discovered through the public API before the
 * clock starts: product ids and buyable SKUs, category slugs, search words,
 * the admin token, and a pool of customers with cached tokens.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { BENCH_PASSWORD, benchEmail } from "../../scripts/bench-seed.ts";
import type { HttpClient } from "./http.ts";

export interface Catalog {
  productIds: string[];
  skus: string[];
  categorySlugs: string[];
  words: string[];
}

interface ProductPage {
  items: { id: string; variants: { sku: string; available: number }[] }[];
  nextCursor: string | null;
}

/** Walks up to `maxPages` pages of /v1/products to collect ids and SKUs with stock. */
export async function discoverCatalog(http: HttpClient, maxPages = 12): Promise<Catalog> {
  const productIds: string[] = [];
  const skus: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const res = await http.request("GET", `/v1/products?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (res.status !== 200) throw new Error(`GET /v1/products answered ${res.status}: ${res.text.slice(0, 200)}`);
    const body = res.json as ProductPage;
    for (const p of body.items) {
      productIds.push(p.id);
      for (const v of p.variants) if (v.available > 1000) skus.push(v.sku);
    }
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  const cats = await http.request("GET", "/v1/categories");
  const categorySlugs = ((cats.json as { items?: { slug: string }[] } | undefined)?.items ?? []).map((c) => c.slug);
  if (productIds.length === 0) throw new Error("the target has no products: seed it (npm run serve:bench does)");
  return { productIds, skus, categorySlugs, words: ["mug", "oak", "lamp", "linen", "copper", "chair", "wool", "kettle"] };
}

/** Logs in as the seeded admin. */
export async function adminToken(http: HttpClient): Promise<string> {
  const res = await http.request("POST", "/v1/auth/login", { body: { email: process.env.SEED_ADMIN_EMAIL ?? "admin@edgeshop.local", password: process.env.SEED_ADMIN_PASSWORD ?? "admin-password" } });
  const token = (res.json as { token?: string } | undefined)?.token;
  if (!token) throw new Error(`admin login failed: ${res.status}`);
  return token;
}

/**
 * Customers shopper-00000.. with tokens cached on disk per target for 12 h
 * (login costs 100,000 PBKDF2 iterations; a benchmark of checkout should not
 * be a benchmark of password hashing). Customers missing on the target are
 * registered. Each customer is leased to one journey at a time, because a
 * cart is per user and two journeys on one cart would race each other.
 */
export class CustomerPool {
  private free: number[] = [];
  private waiters: ((i: number) => void)[] = [];
  readonly tokens: string[] = [];

  /** Prepares `count` customers (logging in or registering with `concurrency` parallel calls). */
  static async create(http: HttpClient, count: number, dataSetId = "", concurrency = 4): Promise<CustomerPool> {
    const pool = new CustomerPool();
    const cacheFile = `.tmp/bench/tokens-${`${http.base.host}-${dataSetId}`.replace(/[^a-z0-9.-]/gi, "_")}.json`;
    const cache = existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, "utf8")) as { at: number; tokens: string[] }) : undefined;
    const cached = cache && Date.now() - cache.at < 12 * 3600_000 ? cache.tokens : [];
    const queue = [...Array(count).keys()];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) pool.tokens[i] = cached[i] ?? (await login(http, i));
      }),
    );
    mkdirSync(".tmp/bench", { recursive: true });
    const merged = [...cached];
    pool.tokens.forEach((t, i) => (merged[i] = t));
    writeFileSync(cacheFile, JSON.stringify({ at: cached.length > 0 && cache ? cache.at : Date.now(), tokens: merged }));
    pool.free = [...Array(count).keys()];
    return pool;
  }

  /** Waits for a customer nobody else is using. */
  lease(): Promise<number> {
    const i = this.free.pop();
    return i !== undefined ? Promise.resolve(i) : new Promise((r) => this.waiters.push(r));
  }

  release(i: number): void {
    const w = this.waiters.shift();
    if (w) w(i);
    else this.free.push(i);
  }
}

/** Logs customer i in, registering them first if the target does not know them. */
export async function login(http: HttpClient, i: number): Promise<string> {
  const creds = { email: benchEmail(i), password: BENCH_PASSWORD };
  let res = await http.request("POST", "/v1/auth/login", { body: creds });
  if (res.status === 401) res = await http.request("POST", "/v1/auth/register", { body: { ...creds, name: `Shopper ${i}` } });
  const token = (res.json as { token?: string } | undefined)?.token;
  if (!token) throw new Error(`customer ${i} login failed: ${res.status} ${res.text.slice(0, 200)}`);
  return token;
}

/** Runs `fn` over `items` with at most `concurrency` at a time (setup work, untimed). */
export async function parallel<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i] as T, i);
    }),
  );
}
