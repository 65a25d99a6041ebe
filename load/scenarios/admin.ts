/**
 * admin: catalog writes and inventory adjustments, with read-your-write
 * checks through the public (cached) reads: a price change must show on the
 * next read, a deleted product must be 404 at once.
 */
import type { JourneyContext } from "../lib/context.ts";
import type { Scenario } from "./types.ts";

let serial = 0;

/** Create, reprice, read back, adjust stock, and sometimes delete one product. */
export async function adminJourney(ctx: JourneyContext, token: string, categoryId: string): Promise<void> {
  const sku = `ADM-${process.pid}-${Date.now().toString(36)}-${serial++}`.toUpperCase();
  const created = await ctx.step("admin.product.create", "POST", "/v1/products", {
    token,
    expect: [201],
    body: { title: `Admin load ${sku}`, description: "Created by the admin load scenario.", categoryId, variants: [{ sku, title: "Default", price: { amount: 1000, currency: "USD" }, initialStock: 50 }] },
  });
  const id = (created.json as { id: string }).id;
  await ctx.step("product.get", "GET", `/v1/products/${id}`);
  await ctx.step("admin.product.patch", "PATCH", `/v1/products/${id}`, { token, body: { variants: [{ sku, price: { amount: 1250, currency: "USD" } }] } });
  const after = await ctx.step("product.get", "GET", `/v1/products/${id}`);
  const price = (after.json as { variants: { price: { amount: number } }[] }).variants[0]?.price.amount;
  if (price !== 1250) ctx.recorder.count("stale read after write");
  await ctx.step("admin.inventory.adjust", "POST", `/v1/inventory/${encodeURIComponent(sku)}/adjustments`, { token, body: { delta: 5, reason: "load: restock" } });
  const inv = await ctx.step("admin.inventory.get", "GET", `/v1/inventory/${encodeURIComponent(sku)}`, { token });
  if ((inv.json as { onHand?: number }).onHand !== 55) ctx.recorder.count("inventory adjustment lost");
  if (Math.random() < 0.5) {
    await ctx.step("admin.product.delete", "DELETE", `/v1/products/${id}`, { token, expect: [204] });
    await ctx.step("product.get.deleted", "GET", `/v1/products/${id}`, { expect: [404] });
  }
}

export const admin: Scenario = {
  name: "admin",
  description: "catalog writes, price changes read back, inventory adjustments, deletes",
  baseRate: 3,
  async setup(env) {
    const token = await env.adminToken();
    const cats = await env.http.request("GET", "/v1/categories");
    const categoryId = (cats.json as { items: { id: string }[] }).items[0]?.id;
    if (!categoryId) throw new Error("admin scenario needs at least one category");
    return () => (ctx) => adminJourney(ctx, token, categoryId);
  },
  async verify(env) {
    const stale = env.recorder.counters.get("stale read after write") ?? 0;
    const lost = env.recorder.counters.get("inventory adjustment lost") ?? 0;
    env.recorder.check("reads show the last write (cache invalidation)", stale === 0, `${stale} reads showed an old price after a successful PATCH`);
    env.recorder.check("inventory adjustments are applied exactly once", lost === 0, `${lost} adjustments not visible in GET /v1/inventory`);
    const deleted = Object.entries(env.recorder.outcomes("product.get.deleted")).filter(([o]) => !o.startsWith("404"));
    env.recorder.check("a deleted product is gone at once", deleted.length === 0, deleted.length ? `reads after DELETE answered ${JSON.stringify(Object.fromEntries(deleted))}` : "every read after DELETE was 404");
  },
};
