/**
 * browse: an anonymous visitor. Lists products, sometimes filters by
 * category or searches, sometimes pages on, then opens two product pages.
 */
import { pick, type JourneyContext } from "../lib/context.ts";
import type { Catalog } from "../lib/fixtures.ts";
import type { Scenario } from "./types.ts";

interface Page {
  items: { id: string }[];
  nextCursor: string | null;
}

/** One browsing session over `catalog`; exported for the mixed scenario. */
export async function browseJourney(ctx: JourneyContext, catalog: Catalog): Promise<void> {
  const r = Math.random();
  let list;
  if (r < 0.5 || catalog.categorySlugs.length === 0) list = await ctx.step("products.list", "GET", "/v1/products?limit=20");
  else if (r < 0.8) list = await ctx.step("products.filter", "GET", `/v1/products?limit=20&category=${encodeURIComponent(pick(catalog.categorySlugs))}`);
  else list = await ctx.step("products.search", "GET", `/v1/products?limit=20&q=${encodeURIComponent(pick(catalog.words))}`);
  const page = list.json as Page;
  if (page.nextCursor && Math.random() < 0.3) {
    await ctx.step("products.page2", "GET", `/v1/products?limit=20&cursor=${encodeURIComponent(page.nextCursor)}`);
  }
  // Product pages: one from what was listed (warm), one from the whole catalog (long tail).
  const listed = page.items.length > 0 ? pick(page.items).id : pick(catalog.productIds);
  await ctx.step("product.get", "GET", `/v1/products/${listed}`);
  await ctx.step("product.get", "GET", `/v1/products/${pick(catalog.productIds)}`);
}

export const browse: Scenario = {
  name: "browse",
  description: "anonymous visitors: list, filter, search, page, product pages",
  baseRate: 40,
  async setup(env) {
    const catalog = await env.catalog();
    return () => (ctx) => browseJourney(ctx, catalog);
  },
};
