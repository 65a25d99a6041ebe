import { and, gt, lt, lte, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { catalogChanges, catalogMeta } from "../../../shared/db/schema/index.ts";
import { SingleFlight } from "../../../shared/single-flight.ts";
import { errorText } from "../../../shared/observability.ts";

/**
 * The catalog version documents are keyed by (see cache.ts): a counter in
 * Postgres (`catalog_meta`) that every admin write bumps, with a change row
 * naming the product it touched (`catalog_changes`). Each colo shares the
 * version it read through the Cache API, and each isolate remembers it with
 * the products changed since it first looked, so a product's document
 * survives bumps that did not touch that product.
 */

/** Documents and the version live under this made-up origin in the Cache API. */
export const ORIGIN = "https://catalog-cache.edgeshop.internal";
const VERSION_KEY = `${ORIGIN}/version`;
const CACHE_NAME = "edgeshop-catalog";
const LOADED_AT = "x-loaded-at";
const KEEP_VERSION_SECONDS = 24 * 3600;
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

/** The colo's Cache API store that holds the version and the documents. */
export async function store(): Promise<Cache> {
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
  // A read of the version that started a TTL ago or more may predate a bump whose commit wait is over: not joined.
  return versionLoads.run("version", () => loadVersion(db, ttlMs), waitUntil, ttlMs);
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
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "catalog version unavailable; serving the cached one", error: errorText(err) }));
    // Not marked fresh: the next read tries Postgres again.
    return String(advance(cachedVersion, known ? known.loadedAt : cachedAt, null));
  }
}

/** A write's statements, or its transaction's: what `recordChange` runs on. */
type Executor = Pick<Database, "execute">;

/**
 * Bumps the version in Postgres, recording which product changed (null: no
 * product document, e.g. a new category). Run it inside the write's own
 * transaction, so a write never commits without its version: a write whose
 * bump failed on its own would be served from the caches of the version
 * before until some other write bumped it. Returns the new version.
 */
export async function recordChange(db: Executor, productId: string | null): Promise<number> {
  const result = await db.execute<{ version: string | number }>(sql`
    with bumped as (
      insert into catalog_meta (id, version) values (1, 1)
      on conflict (id) do update set version = catalog_meta.version + 1
      returning version
    )
    insert into catalog_changes (version, product_id) select version, ${productId} from bumped
    returning version`);
  return Number(result.rows[0]?.version ?? 0);
}

/**
 * After the write that recorded `version` committed: moves this isolate and
 * colo to it. `loadedAt` is when the write began (an age measured from there
 * is never too young). Best effort: Postgres has the version, and other
 * readers pick it up within the TTL.
 */
export async function publishChange(db: Database, version: number, productId: string | null, loadedAt: number): Promise<void> {
  try {
    // Read now, not before the write: a read in this isolate may have moved it meanwhile.
    const before = known?.version ?? null;
    // Ours is the only change since `before` unless other writes came in between: then read theirs too.
    const changes = before !== null && version - before > 1 ? (await readVersion(db, before)).changes?.filter((c) => c.version <= version) ?? null : [{ version, productId }];
    advance(version, loadedAt, changes);
    await publishVersion(await store(), version, loadedAt);
    if (version % 1000 === 0) await db.delete(catalogChanges).where(lt(catalogChanges.version, version - KEEP_CHANGES));
  } catch (err) {
    // Postgres has the new version; this colo picks it up within the TTL.
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache version update failed", error: errorText(err) }));
  }
}

/**
 * The key part that says which catalog state a document shows: a product's
 * document changes only with that product (`product`), everything else
 * (pages, searches, categories, price lookups) with every version.
 */
export function versionOf(scope: DocScope): string {
  if (!known) throw new Error("no catalog version yet");
  if (scope.product === undefined) return String(known.version);
  return `p${known.changedAt.get(scope.product) ?? known.base}`;
}

export interface DocScope {
  /** The product this document shows, when it shows exactly one. */
  product?: string;
}
