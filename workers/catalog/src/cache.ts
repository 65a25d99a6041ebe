/**
 * Edge cache for catalog reads (Cache API). Every key carries the current
 * catalog version; every admin write and every stock change that moves
 * `available` bumps the version after the change is durable, so a read that
 * starts after a successful write can only find entries built after it.
 * Entries built from data older than a bump are written under the old
 * version and are never read again. Entries also expire after ENTRY_TTL so
 * availability raised by an alarm (an expired hold) shows up soon without a bump.
 */

const ORIGIN = "https://catalog-cache.edgeshop.internal";
const VERSION_KEY = `${ORIGIN}/version`;
const ENTRY_TTL_SECONDS = 30;
const VERSION_TTL_SECONDS = 30 * 24 * 3600;
const CACHE_NAME = "edgeshop-catalog";

function newVersion(): string {
  return `${Date.now().toString(36)}${crypto.randomUUID().slice(0, 8)}`;
}

async function store(): Promise<Cache> {
  return caches.open(CACHE_NAME);
}

/** The current version, created when missing (a fresh or evicted cache). */
export async function currentVersion(): Promise<string> {
  const cache = await store();
  const hit = await cache.match(VERSION_KEY);
  if (hit) return hit.text();
  const v = newVersion();
  await putVersion(cache, v);
  return v;
}

async function putVersion(cache: Cache, v: string): Promise<void> {
  await cache.put(VERSION_KEY, new Response(v, { headers: { "cache-control": `max-age=${VERSION_TTL_SECONDS}` } }));
}

/** Invalidates every cached catalog read. Call after the write succeeded. */
export async function bumpVersion(): Promise<void> {
  try {
    await putVersion(await store(), newVersion());
  } catch (err) {
    // A failed bump must not fail the write; entries still expire after ENTRY_TTL.
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache version bump failed", error: String(err) }));
  }
}

function keyFor(version: string, path: string): string {
  return `${ORIGIN}/${version}/${path}`;
}

/**
 * Returns the cached value of `path` or computes, stores and returns it.
 * Only successful values are cached (`cacheable` says which). Cache errors
 * fall back to computing: the cache is an accelerator, never a dependency.
 */
export async function cached<T>(path: string, compute: () => Promise<T>, cacheable: (v: T) => boolean, waitUntil: (p: Promise<unknown>) => void): Promise<T> {
  let key: string | null = null;
  try {
    key = keyFor(await currentVersion(), path);
    const hit = await (await store()).match(key);
    if (hit) return (await hit.json()) as T;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "cache read failed", error: String(err) }));
  }
  const value = await compute();
  if (key !== null && cacheable(value)) {
    const body = JSON.stringify(value);
    const put = store().then((c) => c.put(key, new Response(body, { headers: { "content-type": "application/json", "cache-control": `max-age=${ENTRY_TTL_SECONDS}` } })));
    waitUntil(put.catch(() => undefined));
  }
  return value;
}
