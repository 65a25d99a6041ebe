/**
 * The catalog's edge cache when Postgres goes away (stale-if-error): documents
 * cached under the last known catalog version keep being served, from the real
 * Cache API, while the version cannot be read; a read with nothing cached fails
 * as it should. Postgres is real (the test database), and "down" is a real
 * connection attempt to a port nothing listens on.
 */
import { inject } from "vitest";
import { afterAll, describe, expect, it, vi } from "vitest";
import { openDb, type OpenDatabase } from "../../shared/db/client.ts";
import { cached, type CacheOptions } from "../../workers/catalog/src/cache.ts";

const TTL_MS = 50;
const up = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
// Through the same proxy (the driver's proxy setting is global) to a port nothing listens on.
const down = openDb({ DATABASE_URL: "postgres://postgres:postgres@127.0.0.1:9/edgeshop", NEON_WS_PROXY: inject("neonWsProxy") });
const pending: Promise<unknown>[] = [];

function options(db: OpenDatabase): CacheOptions<{ title: string }> {
  return { ttlMs: TTL_MS, cacheable: () => true, waitUntil: (p) => void pending.push(p), db: () => db.db };
}

afterAll(async () => {
  await Promise.allSettled(pending);
  await Promise.allSettled([up.pool.end(), down.pool.end()]);
});

describe("catalog cache while Postgres is down", () => {
  it("keeps serving a cached document under the last known version, without recomputing it", async () => {
    const path = `products/stale-if-error-${crypto.randomUUID()}`;
    let computed = 0;
    const first = await cached(path, async () => ({ title: `v${++computed}` }), options(up), { product: path });
    expect(first).toStrictEqual({ title: "v1" });
    await Promise.allSettled(pending);
    await new Promise((r) => setTimeout(r, TTL_MS * 2)); // the version is no longer fresh: it must be re-read
    const whileDown = await cached(
      path,
      async () => {
        computed++;
        throw new Error("Postgres is down: a recompute would fail");
      },
      options(down),
      { product: path },
    );
    expect(whileDown).toStrictEqual({ title: "v1" });
    expect(computed).toBe(1);
  });

  it("fails a read whose document was never cached (nothing stale to serve)", async () => {
    const path = `products/never-cached-${crypto.randomUUID()}`;
    await new Promise((r) => setTimeout(r, TTL_MS * 2));
    const read = cached(path, async () => Promise.reject(new Error("Postgres is down")), options(down), { product: path });
    await expect(read).rejects.toThrow("Postgres is down");
  });
});

describe("catalog cache memory tier", () => {
  it("keeps the price lookups of a 2,500-SKU shop in memory: reading them again costs no Cache API lookup", async () => {
    const run = crypto.randomUUID();
    const paths = Array.from({ length: 2500 }, (_, i) => `variants?memory-${run}-${i}`);
    // A version trusted for the whole test: re-reading it would open the Cache API too.
    const o = { ...options(up), ttlMs: 120_000 };
    let computed = 0;
    const compute = (path: string) => async () => ({ title: `${path} ${++computed}` });
    for (const path of paths) await cached(path, compute(path), o);
    expect(computed).toBe(paths.length);
    await Promise.allSettled(pending);
    const opened = vi.spyOn(caches, "open");
    try {
      for (const [i, path] of paths.entries()) expect(await cached(path, compute(path), o)).toStrictEqual({ title: `${path} ${i + 1}` });
      expect(computed).toBe(paths.length);
      expect(opened).not.toHaveBeenCalled();
    } finally {
      opened.mockRestore();
    }
  });
});
