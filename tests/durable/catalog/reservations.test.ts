/// <reference types="@cloudflare/vitest-plugin/types" />
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { StockDO } from "../../../durable/stock-do.ts";
import type { CatalogService } from "../../../workers/catalog/src/index.ts";

/**
 * CatalogService's cross-Worker stock contract (reserve/commit/release/
 * restock/getAvailability), called over RPC exactly as the orders Worker does.
 */
const stock = (env as unknown as { STOCK: DurableObjectNamespace<StockDO> }).STOCK;
const catalog = (exports as unknown as { CatalogService: Service<typeof CatalogService> }).CatalogService;
let n = 0;

async function sku(tag: string, onHand: number): Promise<string> {
  const name = `RS-${tag}-${Date.now().toString(36)}-${n++}`;
  await stock.get(stock.idFromName(name)).initialise(name, onHand, null);
  return name;
}

async function snap(name: string) {
  const s = await stock.get(stock.idFromName(name)).snapshot();
  expect(s.initial + s.adjusted).toBe(s.onHand + s.sold);
  expect(s.available).toBeGreaterThanOrEqual(0);
  return s;
}

describe("CatalogService stock contract", () => {
  it("200 concurrent carts race for 25 units: exactly 25 holds, then exactly 25 sales", async () => {
    const hot = await sku("hot", 25);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => catalog.reserve(`order-${hot}-${i}`, [{ sku: hot, quantity: 1 }], 300)));
    const winners = results.flatMap((r, i) => (r.ok ? [`order-${hot}-${i}`] : []));
    expect(winners).toHaveLength(25);
    const losers = results.filter((r) => !r.ok);
    expect(losers[0]).toStrictEqual({ ok: false, error: { code: "OUT_OF_STOCK", detail: `Not enough stock for ${hot}.`, errors: [{ path: hot, message: `${hot}: requested 1, available 0`, sku: hot, requested: 1, available: 0 }] } });
    expect(await snap(hot)).toMatchObject({ onHand: 25, reserved: 25, available: 0, sold: 0 });
    const commits = await Promise.all(winners.map((id) => catalog.commit(id, [hot])));
    expect(commits.every((c) => c.ok)).toBe(true);
    // A retried commit sells nothing twice.
    expect(await catalog.commit(winners[0]!, [hot])).toStrictEqual({ ok: true, value: null });
    expect(await snap(hot)).toMatchObject({ onHand: 0, reserved: 0, available: 0, sold: 25 });
    expect(await catalog.getAvailability([hot, "RS-missing"])).toStrictEqual({ [hot]: 0 });
  });

  it("a multi-SKU reservation that fails leaves no hold on any SKU", async () => {
    const a = await sku("a", 5);
    const b = await sku("b", 2);
    const c = await sku("c", 5);
    const r = await catalog.reserve(`cart-${a}`, [{ sku: c, quantity: 1 }, { sku: b, quantity: 3 }, { sku: a, quantity: 1 }], 300);
    expect(r).toStrictEqual({ ok: false, error: { code: "OUT_OF_STOCK", detail: `Not enough stock for ${b}.`, errors: [{ path: b, message: `${b}: requested 3, available 2`, sku: b, requested: 3, available: 2 }] } });
    for (const s of [a, b, c]) expect((await snap(s)).reserved).toBe(0);
    const unknown = await catalog.reserve(`cart2-${a}`, [{ sku: a, quantity: 1 }, { sku: `${a}-nope`, quantity: 1 }], 300);
    expect(unknown).toMatchObject({ ok: false, error: { code: "UNKNOWN_SKU" } });
    expect((await snap(a)).reserved).toBe(0);
  });

  it("release is idempotent and restock returns sold units once per operation", async () => {
    const a = await sku("rel", 4);
    expect(await catalog.reserve("r-1", [{ sku: a, quantity: 3 }], 300)).toMatchObject({ ok: true, value: { expiresAt: expect.any(String) } });
    expect(await catalog.release("r-1", [a])).toStrictEqual({ ok: true, value: null });
    expect(await catalog.release("r-1", [a])).toStrictEqual({ ok: true, value: null });
    expect(await snap(a)).toMatchObject({ reserved: 0, available: 4 });
    await catalog.reserve("r-2", [{ sku: a, quantity: 2 }], 300);
    await catalog.commit("r-2", [a]);
    expect(await catalog.restock("cancel-r-2", [{ sku: a, quantity: 2 }], "order cancelled")).toStrictEqual({ ok: true, value: null });
    expect(await catalog.restock("cancel-r-2", [{ sku: a, quantity: 2 }], "order cancelled")).toStrictEqual({ ok: true, value: null });
    expect(await snap(a)).toMatchObject({ onHand: 4, sold: 0, available: 4 });
  });
});
