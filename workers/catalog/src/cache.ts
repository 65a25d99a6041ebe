import type { Database } from "../../../shared/db/client.ts";
import { SingleFlight } from "../../../shared/single-flight.ts";
import { ORIGIN, currentVersion, store, versionOf, type DocScope } from "./catalog-version.ts";
import { recall, remember } from "./memory-tier.ts";
import { errorText } from "../../../shared/observability.ts";

/**
 * Edge cache (Cache API) for catalog documents: products, pages of products
 * and categories as Postgres holds them, without stock (`available` is added
 * live from the StockDOs after the lookup, so stock changes never touch it).
 *
 * Documents are keyed by the catalog version, a counter in Postgres
 * (`catalog_meta`) that every admin write bumps before it answers. Each colo
 * caches the version for at most `ttlMs`, so:
 * - in the colo of the write, the bump also replaces the cached version: the
 *   next read already uses the new key;
 * - in any other colo, a read that starts `ttlMs` after the write re-reads the
 *   version and cannot find documents older than the write (the gateway's
 *   commit wait covers this window, see workers/gateway/src/read-cache.ts);
 * - Postgres sees one small query per colo and TTL, not one per product;
 * - when Postgres is down, the last known version keeps serving what is
 *   cached (stale-if-error) instead of failing every read.
 * Each isolate also keeps the version it last saw (for the same TTL) and the
 * documents it last served (keyed by version, so never stale) in memory: a
 * warm read then costs no Cache API lookup at all. Concurrent misses share
 * one load (single flight): a thousand shoppers opening a new product at the
 * same moment cost one Postgres query, not a thousand connections.
 */

/** Versioned documents are never stale, only unreachable; this just bounds memory. */
const DOC_TTL_SECONDS = 3600;
export const DEFAULT_READ_TTL_MS = 1000;
const docLoads = new SingleFlight<string | null>();

export interface CacheOptions<T> {
  /** How long a colo trusts its cached catalog version. */
  ttlMs: number;
  /** Only values this accepts are stored (e.g. successful results). */
  cacheable: (v: T) => boolean;
  waitUntil: (p: Promise<unknown>) => void;
  db: () => Database;
}

/**
 * Returns the cached document at `path` for the current version, or computes,
 * stores and returns it. A cache that fails falls back to computing: the
 * cache is an accelerator, never a dependency.
 */
export async function cached<T>(path: string, compute: () => Promise<T>, o: CacheOptions<T>, scope: DocScope = {}): Promise<T> {
  let key: string;
  try {
    await currentVersion(o.db, o.ttlMs, o.waitUntil);
    key = `${ORIGIN}/${versionOf(scope)}/${path}`;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache read failed", error: errorText(err) }));
    return compute();
  }
  const inMemory = recall(key);
  if (inMemory !== undefined) return JSON.parse(inMemory) as T;
  const body = await docLoads.run(key, () => load(key, compute, o), o.waitUntil);
  // null: the value was not cacheable (an error result); this caller computes its own answer.
  return body === null ? compute() : (JSON.parse(body) as T);
}

/** The document's JSON from the Cache API or from `compute` (then stored), or null when it is not cacheable. */
async function load<T>(key: string, compute: () => Promise<T>, o: CacheOptions<T>): Promise<string | null> {
  try {
    const hit = await (await store()).match(key);
    if (hit) {
      const body = await hit.text();
      remember(key, body);
      return body;
    }
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache read failed", error: errorText(err) }));
  }
  const value = await compute();
  if (!o.cacheable(value)) return null;
  const body = JSON.stringify(value);
  remember(key, body);
  const headers = { "content-type": "application/json", "cache-control": `max-age=${DOC_TTL_SECONDS}` };
  const put = store().then((c) => c.put(key, new Response(body, { headers })));
  o.waitUntil(put.catch(() => undefined));
  return body;
}
