import { describe, expect, it } from "vitest";
import { fail, ok, type Result } from "../../shared/errors.ts";
import { ReadCache, catalogReads, settled } from "../../workers/gateway/src/read-cache.ts";

/** A catalog document as far as the cache cares: some JSON naming the SKUs it shows. */
interface Doc {
  key: string;
  skus: string[];
  version: number;
}

const TTL = 1000;
const skusOf = (d: Doc) => d.skus;
/** What the cache holds and returns: the JSON as UTF-8. */
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** A ReadCache on a clock that moves only when told to. */
function cacheWithClock() {
  let now = 1_000_000;
  return { cache: new ReadCache(() => now), advance: (ms: number) => void (now += ms) };
}

/** A load of `key` that counts its calls; call n answers version n. `body(n)` is what a read returns for it. */
function loader(key: string, skus: string[]) {
  const l = {
    key,
    calls: 0,
    load: async (): Promise<Result<Doc>> => ok({ key, skus, version: ++l.calls }),
    body: (version: number) => ({ ok: true, value: json({ key, skus, version }) }),
  };
  return l;
}

/** A load answering `doc` only once `resolve` is called, for what happens while it is in flight. */
function heldLoad(doc: Doc) {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const l = {
    calls: 0,
    load: async (): Promise<Result<Doc>> => {
      l.calls++;
      await gate;
      return ok(doc);
    },
    resolve: () => open(),
  };
  return l;
}

describe("ReadCache", () => {
  it("serves a hit within the TTL without loading again, and loads again once the TTL has passed", async () => {
    const { cache, advance } = cacheWithClock();
    const p = loader("products/1", ["A"]);
    expect(await cache.read("products/1", TTL, p.load, skusOf)).toStrictEqual(p.body(1));
    advance(TTL - 1);
    expect(await cache.read("products/1", TTL, p.load, skusOf)).toStrictEqual(p.body(1));
    expect(p.calls).toBe(1);
    advance(1);
    expect(await cache.read("products/1", TTL, p.load, skusOf)).toStrictEqual(p.body(2));
    expect(p.calls).toBe(2);
    expect(await cache.read("products/1", TTL, p.load, skusOf)).toStrictEqual(p.body(2));
    expect(p.calls).toBe(2);
  });

  it("does not cache a failed load", async () => {
    const { cache } = cacheWithClock();
    let calls = 0;
    const missing = async (): Promise<Result<Doc>> => {
      calls++;
      return fail("NOT_FOUND", "Product not found.");
    };
    const expected = { ok: false, error: { code: "NOT_FOUND", detail: "Product not found." } };
    expect(await cache.read("products/404", TTL, missing, skusOf)).toStrictEqual(expected);
    expect(await cache.read("products/404", TTL, missing, skusOf)).toStrictEqual(expected);
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it("shares one load among concurrent misses of a key", async () => {
    const { cache } = cacheWithClock();
    const doc = { key: "products/1", skus: ["A"], version: 1 };
    const held = heldLoad(doc);
    const reads = Array.from({ length: 10 }, () => cache.read("products/1", TTL, held.load, skusOf));
    held.resolve();
    const results = await Promise.all(reads);
    expect(held.calls).toBe(1);
    expect(results).toStrictEqual(Array.from({ length: 10 }, () => ({ ok: true, value: json(doc) })));
  });

  it("does not join a load that started a TTL ago or more: a read after a write elsewhere must not get what it read before", async () => {
    const { cache, advance } = cacheWithClock();
    const slow = heldLoad({ key: "products/1", skus: ["A"], version: 1 });
    const first = cache.read("products/1", TTL, slow.load, skusOf);
    advance(TTL); // the old load is still waiting on a slow StockDO, say, while an admin's write elsewhere finishes
    const fresh = loader("products/1", ["A"]);
    expect(await cache.read("products/1", TTL, fresh.load, skusOf)).toStrictEqual(fresh.body(1));
    // A read right after joins the younger load, not the old one (whose answer goes to its own caller only).
    slow.resolve();
    expect(await first).toStrictEqual({ ok: true, value: json({ key: "products/1", skus: ["A"], version: 1 }) });
    expect([slow.calls, fresh.calls]).toStrictEqual([1, 1]);
    // Finishing last, the old load did not replace the younger entry.
    expect(await cache.read("products/1", TTL, fresh.load, skusOf)).toStrictEqual(fresh.body(1));
    expect(fresh.calls).toBe(1);
  });

  it("invalidateSkus drops exactly the entries that show one of the SKUs", async () => {
    const { cache } = cacheWithClock();
    const a = loader("products/a", ["A1", "A2"]);
    const b = loader("products/b", ["B1"]);
    const list = loader("products?limit=20", ["A2", "B1"]);
    const categories = loader("categories", []);
    for (const l of [a, b, list, categories]) await cache.read(l.key, TTL, l.load, skusOf);
    expect(cache.size).toBe(4);
    cache.invalidateSkus(["A2"]);
    expect(cache.size).toBe(2);
    for (const l of [a, b, list, categories]) await cache.read(l.key, TTL, l.load, skusOf);
    expect([a.calls, b.calls, list.calls, categories.calls]).toStrictEqual([2, 1, 2, 1]);
    cache.invalidateSkus([]);
    expect(cache.size).toBe(4);
  });

  it("an entry reloaded showing other SKUs is dropped by its new SKUs, not its old ones", async () => {
    const { cache, advance } = cacheWithClock();
    let shown = "OLD";
    let calls = 0;
    const load = async (): Promise<Result<Doc>> => ok({ key: "products/a", skus: [shown], version: ++calls });
    await cache.read("products/a", TTL, load, skusOf);
    advance(TTL);
    shown = "NEW"; // the product now shows another variant
    await cache.read("products/a", TTL, load, skusOf);
    cache.invalidateSkus(["OLD"]);
    expect(cache.size).toBe(1);
    cache.invalidateSkus(["NEW"]);
    expect(cache.size).toBe(0);
    await cache.read("products/a", TTL, load, skusOf);
    expect(calls).toBe(3);
  });

  it("clear drops every entry", async () => {
    const { cache } = cacheWithClock();
    const a = loader("products/a", ["A1"]);
    const categories = loader("categories", []);
    for (const l of [a, categories]) await cache.read(l.key, TTL, l.load, skusOf);
    cache.clear();
    expect(cache.size).toBe(0);
    for (const l of [a, categories]) expect(await cache.read(l.key, TTL, l.load, skusOf)).toStrictEqual(l.body(2));
  });

  it("holds at most its byte budget, dropping the oldest entries first, and counts what it drops", async () => {
    const bodySize = json({ key: "products/0", skus: ["S0"], version: 1 }).byteLength;
    const cache = new ReadCache(Date.now, bodySize * 3);
    const loads = [0, 1, 2, 3].map((n) => loader(`products/${n}`, [`S${n}`]));
    for (const l of loads) await cache.read(l.key, TTL, l.load, skusOf);
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(bodySize * 3);
    expect(cache.peek("products/0", TTL)).toBeUndefined(); // the oldest went
    expect(cache.peek("products/3", TTL)).toBeDefined();
    cache.invalidateSkus(["S3"]);
    expect(cache.bytes).toBe(bodySize * 2);
    cache.clear();
    expect(cache.bytes).toBe(0);
  });

  it("returns a load that was in flight when its SKU was invalidated, but does not store it", async () => {
    const { cache } = cacheWithClock();
    const doc = { key: "products/1", skus: ["A", "B"], version: 1 };
    const held = heldLoad(doc);
    const reading = cache.read("products/1", TTL, held.load, skusOf);
    cache.invalidateSkus(["B"]);
    held.resolve();
    expect(await reading).toStrictEqual({ ok: true, value: json(doc) });
    expect(cache.size).toBe(0);
    const next = loader("products/1", ["A", "B"]);
    expect(await cache.read("products/1", TTL, next.load, skusOf)).toStrictEqual(next.body(1));
    expect(next.calls).toBe(1);
  });

  it("does not store a load that was in flight during a clear, but does store one whose SKUs were not invalidated", async () => {
    const { cache } = cacheWithClock();
    const cleared = heldLoad({ key: "products/1", skus: ["A"], version: 1 });
    const reading = cache.read("products/1", TTL, cleared.load, skusOf);
    cache.clear();
    cleared.resolve();
    await reading;
    expect(cache.size).toBe(0);

    const unrelated = heldLoad({ key: "products/2", skus: ["C"], version: 1 });
    const other = cache.read("products/2", TTL, unrelated.load, skusOf);
    cache.invalidateSkus(["A"]);
    unrelated.resolve();
    await other;
    expect(cache.size).toBe(1);
    await cache.read("products/2", TTL, unrelated.load, skusOf);
    expect(unrelated.calls).toBe(1);
  });

  it.each([
    ["its SKU was invalidated (a checkout)", (c: ReadCache) => c.invalidateSkus(["A"])],
    ["the cache was cleared (an admin write)", (c: ReadCache) => c.clear()],
  ])("does not answer a read that starts after %s with a load that started before", async (_, invalidate) => {
    const { cache } = cacheWithClock();
    const stale = { key: "products/1", skus: ["A"], version: 0 };
    const before = heldLoad(stale);
    const first = cache.read("products/1", TTL, before.load, skusOf);
    invalidate(cache);
    const after = loader("products/1", ["A"]);
    const second = cache.read("products/1", TTL, after.load, skusOf);
    before.resolve();
    expect(await first).toStrictEqual({ ok: true, value: json(stale) });
    expect(await second).toStrictEqual(after.body(1));
    expect(after.calls).toBe(1);
    // The newer load is what stays cached.
    expect(await cache.read("products/1", TTL, before.load, skusOf)).toStrictEqual(after.body(1));
  });
});

describe("settled (after an admin catalog write)", () => {
  const tick = (ms: number) => new Promise<"timer">((r) => setTimeout(() => r("timer"), ms));

  /** Caches `key` in the isolate's shared cache and says whether it is still cached later on. */
  async function cachedInIsolate(key: string, skus: string[]) {
    const l = loader(key, skus);
    await catalogReads.read(key, 60_000, l.load, skusOf);
    return async () => {
      const before = l.calls;
      await catalogReads.read(key, 60_000, l.load, skusOf);
      return l.calls === before;
    };
  }

  it("waits CATALOG_COMMIT_WAIT_MS after a success, clears this isolate's reads and returns the result unchanged", async () => {
    const stillCached = await cachedInIsolate(`products/${crypto.randomUUID()}`, ["S1"]);
    const result = ok({ id: "prd_1" });
    const start = Date.now();
    const settling = settled({ CATALOG_COMMIT_WAIT_MS: "30" }, result);
    expect(await Promise.race([settling, tick(10)])).toBe("timer");
    expect(await settling).toBe(result);
    expect(Date.now() - start).toBeGreaterThanOrEqual(30);
    expect(await stillCached()).toBe(false);
  });

  it("with SKUs, drops only the reads showing them", async () => {
    const sku = `S-${crypto.randomUUID()}`;
    const unrelated = await cachedInIsolate(`products/${crypto.randomUUID()}`, [`S-${crypto.randomUUID()}`]);
    const showing = await cachedInIsolate(`products/${crypto.randomUUID()}`, [sku]);
    expect(await settled({ CATALOG_COMMIT_WAIT_MS: "0" }, ok(null), [sku])).toStrictEqual(ok(null));
    expect({ unrelated: await unrelated(), showing: await showing() }).toStrictEqual({ unrelated: true, showing: false });
  });

  it("neither waits nor clears after a failure", async () => {
    const stillCached = await cachedInIsolate(`products/${crypto.randomUUID()}`, ["S2"]);
    const result = fail("NOT_FOUND", "Product not found.");
    const settling = settled({ CATALOG_COMMIT_WAIT_MS: "30" }, result);
    expect(await Promise.race([settling, tick(10)])).toBe(result);
    expect(await stillCached()).toBe(true);
  });
});
