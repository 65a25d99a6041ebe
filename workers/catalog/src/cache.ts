import { sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { catalogMeta } from "../../../shared/db/schema/index.ts";
import { SingleFlight } from "../../../shared/single-flight.ts";

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

const ORIGIN = "https://catalog-cache.edgeshop.internal";
const VERSION_KEY = `${ORIGIN}/version`;
const CACHE_NAME = "edgeshop-catalog";
const LOADED_AT = "x-loaded-at";
/** Versioned documents are never stale, only unreachable; this just bounds memory. */
const DOC_TTL_SECONDS = 3600;
const KEEP_VERSION_SECONDS = 24 * 3600;
export const DEFAULT_READ_TTL_MS = 1000;

const MEMORY_ENTRIES = 2000;
let memoVersion: { version: string; loadedAt: number } | null = null;
const versionLoads = new SingleFlight<string>();
const memoDocs = new Map<string, string>();
const docLoads = new SingleFlight<string | null>();

function remember(key: string, body: string): void {
  memoDocs.delete(key);
  memoDocs.set(key, body);
  while (memoDocs.size > MEMORY_ENTRIES) {
    const oldest = memoDocs.keys().next().value;
    if (oldest === undefined) break;
    memoDocs.delete(oldest);
  }
}

async function store(): Promise<Cache> {
  return caches.open(CACHE_NAME);
}

/**
 * Records `version` as current, unless this isolate already knows a newer one:
 * a Postgres read that started before a bump may finish after it, and must not
 * bring back the older version (and with it the documents the write replaced).
 * Returns the version in effect.
 */
async function putVersion(cache: Cache, version: string, loadedAt: number): Promise<string> {
  if (memoVersion && Number(memoVersion.version) > Number(version)) return memoVersion.version;
  memoVersion = { version, loadedAt };
  const headers = { "cache-control": `max-age=${KEEP_VERSION_SECONDS}`, [LOADED_AT]: String(loadedAt) };
  await cache.put(VERSION_KEY, new Response(version, { headers }));
  return version;
}

async function readVersion(db: Database): Promise<string> {
  const [row] = await db.select({ version: catalogMeta.version }).from(catalogMeta).limit(1);
  return String(row?.version ?? 0);
}

/**
 * The catalog version to key reads by: this colo's cached copy while younger
 * than `ttlMs`, else Postgres's (the old copy if Postgres cannot answer).
 */
export async function currentVersion(db: () => Database, ttlMs: number, waitUntil?: (p: Promise<unknown>) => void): Promise<string> {
  const age = memoVersion ? Date.now() - memoVersion.loadedAt : Number.POSITIVE_INFINITY;
  if (memoVersion && age < ttlMs) {
    // Refresh ahead: past half its life the version is re-read in the background, so under
    // steady traffic no reader waits for Postgres (or for a backlog of connections to it).
    if (age >= ttlMs / 2 && waitUntil && !versionLoads.busy("version")) void versionLoads.run("version", () => loadVersion(db, ttlMs / 2), waitUntil).catch(() => undefined);
    return memoVersion.version;
  }
  return versionLoads.run("version", () => loadVersion(db, ttlMs), waitUntil);
}

/** The version from this colo's Cache API when younger than `freshMs`, else from Postgres. */
async function loadVersion(db: () => Database, freshMs: number): Promise<string> {
  const cache = await store();
  const hit = await cache.match(VERSION_KEY);
  const cachedVersion = hit ? await hit.text() : (memoVersion?.version ?? null);
  if (hit && cachedVersion !== null && Date.now() - Number(hit.headers.get(LOADED_AT)) < freshMs) {
    if (memoVersion && Number(memoVersion.version) > Number(cachedVersion)) return memoVersion.version;
    memoVersion = { version: cachedVersion, loadedAt: Number(hit.headers.get(LOADED_AT)) };
    return cachedVersion;
  }
  const loadedAt = Date.now();
  try {
    return await putVersion(cache, await readVersion(db()), loadedAt);
  } catch (err) {
    if (cachedVersion === null) throw err;
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "catalog version unavailable; serving the cached one", error: String(err) }));
    return cachedVersion;
  }
}

/** Bumps the version in Postgres and in this colo's cache. Call after the write succeeded. */
export async function bumpVersion(db: Database): Promise<void> {
  const loadedAt = Date.now();
  const [row] = await db
    .insert(catalogMeta)
    .values({ id: 1, version: 1 })
    .onConflictDoUpdate({ target: catalogMeta.id, set: { version: sql`${catalogMeta.version} + 1` } })
    .returning({ version: catalogMeta.version });
  try {
    await putVersion(await store(), String(row?.version ?? 0), loadedAt);
  } catch (err) {
    // Postgres has the new version; this colo picks it up within the TTL.
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache version update failed", error: String(err) }));
  }
}

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
export async function cached<T>(path: string, compute: () => Promise<T>, o: CacheOptions<T>): Promise<T> {
  let key: string;
  try {
    key = `${ORIGIN}/${await currentVersion(o.db, o.ttlMs, o.waitUntil)}/${path}`;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache read failed", error: String(err) }));
    return compute();
  }
  const inMemory = memoDocs.get(key);
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
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache read failed", error: String(err) }));
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
