import { and, gt, lt, lte, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { catalogChanges, catalogMeta } from "../../../shared/db/schema/index.ts";
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

/**
 * Per-isolate memory tier, bounded by the documents' total length (JSON
 * characters), least recently used out first. 8M characters is 8-16 MB of the
 * isolate's 128 MB: every product document and price lookup of a 3,000-SKU
 * catalog fits. It was 2,000 entries dropped in insertion order: a shop of
 * 3,000 SKUs overran it with price lookups alone, and lookups read in a cycle
 * missed every time (tests/unit/catalog-cache.test.ts).
 */
const MEMORY_CHARS = 8_000_000;
/** Beyond this many versions behind, an isolate forgets per-product knowledge instead of reading every change. */
const MAX_CHANGES = 2000;
/** Change rows older than this many versions are pruned (no isolate lags that far without resetting). */
const KEEP_CHANGES = 100_000;

/**
 * What this isolate knows about the catalog version: the current one, and
 * for every product changed since `base` the version it last changed at. A
 * product document is keyed by that version (or `base` for a product not
 * changed since), so it survives bumps that did not touch it.
 */
interface Known {
  version: number;
  loadedAt: number;
  base: number;
  changedAt: Map<string, number>;
}
let known: Known | null = null;
const versionLoads = new SingleFlight<string>();
const memoDocs = new Map<string, string>();
let memoChars = 0;
const docLoads = new SingleFlight<string | null>();

function forget(key: string): void {
  const body = memoDocs.get(key);
  if (body === undefined) return;
  memoDocs.delete(key);
  memoChars -= body.length;
}

function remember(key: string, body: string): void {
  forget(key);
  if (body.length > MEMORY_CHARS) return;
  memoDocs.set(key, body);
  memoChars += body.length;
  while (memoChars > MEMORY_CHARS) {
    const oldest = memoDocs.keys().next().value;
    if (oldest === undefined) break;
    forget(oldest);
  }
}

/** The remembered document at `key`, now the most recently used. */
function recall(key: string): string | undefined {
  const body = memoDocs.get(key);
  if (body === undefined) return undefined;
  memoDocs.delete(key);
  memoDocs.set(key, body);
  return body;
}

async function store(): Promise<Cache> {
  return caches.open(CACHE_NAME);
}

interface Change {
  version: number;
  productId: string | null;
}

/**
 * Moves this isolate to `version`, unless it already knows a newer one (a
 * Postgres read that started before a bump may finish after it, and must not
 * bring back the older version). `changes` are the changes in (known, version];
 * null when they are not known, which drops per-product knowledge (every
 * document is reloaded once, as after a cold start). Returns the version in effect.
 */
function advance(version: number, loadedAt: number, changes: Change[] | null): number {
  if (known && known.version > version) return known.version;
  if (known && known.version === version) {
    known.loadedAt = Math.max(known.loadedAt, loadedAt);
    return version;
  }
  if (!known || changes === null) {
    known = { version, loadedAt, base: version, changedAt: new Map() };
    return version;
  }
  for (const c of changes) if (c.productId !== null && c.version > known.base) known.changedAt.set(c.productId, c.version);
  known.version = version;
  known.loadedAt = loadedAt;
  return version;
}

async function publishVersion(cache: Cache, version: number, loadedAt: number): Promise<void> {
  const headers = { "cache-control": `max-age=${KEEP_VERSION_SECONDS}`, [LOADED_AT]: String(loadedAt) };
  await cache.put(VERSION_KEY, new Response(String(version), { headers }));
}

/** The current version and, when `from` is given, the changes after it (null when there are too many). */
async function readVersion(db: Database, from: number | null): Promise<{ version: number; changes: Change[] | null }> {
  if (from === null) {
    const [row] = await db.select({ version: catalogMeta.version }).from(catalogMeta).limit(1);
    return { version: row?.version ?? 0, changes: null };
  }
  const rows = await db
    .select({ version: catalogMeta.version, changedAt: catalogChanges.version, productId: catalogChanges.productId })
    .from(catalogMeta)
    .leftJoin(catalogChanges, and(gt(catalogChanges.version, from), lte(catalogChanges.version, catalogMeta.version)))
    .limit(MAX_CHANGES + 1);
  const version = rows[0]?.version ?? 0;
  if (rows.length > MAX_CHANGES) return { version, changes: null };
  const changes = rows.flatMap((r) => (r.changedAt === null ? [] : [{ version: r.changedAt, productId: r.productId }]));
  // Every bump writes its change row in the same statement; a version without one (written by a
  // build from before change rows existed, during a rollout, or pruned) makes the list unknown.
  return { version, changes: changes.length === version - from ? changes : null };
}

/**
 * The catalog version to key reads by: this colo's cached copy while younger
 * than `ttlMs`, else Postgres's (the old copy if Postgres cannot answer).
 */
export async function currentVersion(db: () => Database, ttlMs: number, waitUntil?: (p: Promise<unknown>) => void): Promise<string> {
  const age = known ? Date.now() - known.loadedAt : Number.POSITIVE_INFINITY;
  if (known && age < ttlMs) {
    // Refresh ahead: past half its life the version is re-read in the background, so under
    // steady traffic no reader waits for Postgres (or for a backlog of connections to it).
    if (age >= ttlMs / 2 && waitUntil && !versionLoads.busy("version")) void versionLoads.run("version", () => loadVersion(db, ttlMs / 2), waitUntil).catch(() => undefined);
    return String(known.version);
  }
  return versionLoads.run("version", () => loadVersion(db, ttlMs), waitUntil);
}

/** The version from this colo's Cache API when younger than `freshMs` and not news to this isolate, else from Postgres. */
async function loadVersion(db: () => Database, freshMs: number): Promise<string> {
  const cache = await store();
  const hit = await cache.match(VERSION_KEY);
  const cachedVersion = hit ? Number(await hit.text()) : (known?.version ?? null);
  const cachedAt = Number(hit?.headers.get(LOADED_AT) ?? 0);
  // A newer version from another isolate needs its list of changes, which only Postgres has.
  if (hit && cachedVersion !== null && Date.now() - cachedAt < freshMs && (!known || cachedVersion <= known.version)) {
    return String(advance(cachedVersion, cachedAt, null));
  }
  const loadedAt = Date.now();
  try {
    const read = await readVersion(db(), known?.version ?? null);
    const version = advance(read.version, loadedAt, read.changes);
    if (version === read.version) await publishVersion(cache, version, loadedAt);
    return String(version);
  } catch (err) {
    if (cachedVersion === null) throw err;
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "catalog version unavailable; serving the cached one", error: String(err) }));
    // Not marked fresh: the next read tries Postgres again.
    return String(advance(cachedVersion, known ? known.loadedAt : cachedAt, null));
  }
}

/**
 * Bumps the version in Postgres, recording which product changed (null: no
 * product document, e.g. a new category), and moves this colo to it. Call
 * after the write succeeded.
 */
export async function bumpVersion(db: Database, productId: string | null): Promise<void> {
  const loadedAt = Date.now();
  const before = known?.version ?? null;
  const result = await db.execute<{ version: string | number }>(sql`
    with bumped as (
      insert into catalog_meta (id, version) values (1, 1)
      on conflict (id) do update set version = catalog_meta.version + 1
      returning version
    )
    insert into catalog_changes (version, product_id) select version, ${productId} from bumped
    returning version`);
  const version = Number(result.rows[0]?.version ?? 0);
  try {
    // Ours is the only change since `before` unless other writes came in between: then read theirs too.
    const changes = before !== null && version - before > 1 ? (await readVersion(db, before)).changes?.filter((c) => c.version <= version) ?? null : [{ version, productId }];
    advance(version, loadedAt, changes);
    await publishVersion(await store(), version, loadedAt);
    if (version % 1000 === 0) await db.delete(catalogChanges).where(lt(catalogChanges.version, version - KEEP_CHANGES));
  } catch (err) {
    // Postgres has the new version; this colo picks it up within the TTL.
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache version update failed", error: String(err) }));
  }
}

/**
 * The key part that says which catalog state a document shows: a product's
 * document changes only with that product (`product`), everything else
 * (pages, searches, categories, price lookups) with every version.
 */
function versionOf(scope: DocScope): string {
  if (!known) throw new Error("no catalog version yet");
  if (scope.product === undefined) return String(known.version);
  return `p${known.changedAt.get(scope.product) ?? known.base}`;
}

export interface DocScope {
  /** The product this document shows, when it shows exactly one. */
  product?: string;
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
export async function cached<T>(path: string, compute: () => Promise<T>, o: CacheOptions<T>, scope: DocScope = {}): Promise<T> {
  let key: string;
  try {
    await currentVersion(o.db, o.ttlMs, o.waitUntil);
    key = `${ORIGIN}/${versionOf(scope)}/${path}`;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache read failed", error: String(err) }));
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
