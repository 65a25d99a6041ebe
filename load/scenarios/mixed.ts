/**
 * mixed: traffic weighted like a shop's: mostly anonymous browsing, a share
 * of shoppers who buy, a trickle of admin writes. Weights are per journey.
 */
import { admin, adminJourney } from "./admin.ts";
import { browseJourney } from "./browse.ts";
import { shopper, shopperJourney } from "./shopper.ts";
import { parallel } from "../lib/fixtures.ts";
import type { Scenario } from "./types.ts";

export const MIX = { browse: 0.8, shopper: 0.18, admin: 0.02 };

export const mixed: Scenario = {
  name: "mixed",
  description: `browse ${MIX.browse * 100}% / shopper ${MIX.shopper * 100}% / admin ${MIX.admin * 100}% of journeys`,
  baseRate: 30,
  async setup(env) {
    const [catalog, customers, token] = await Promise.all([env.catalog(), env.customers(), env.adminToken()]);
    await parallel(customers.tokens, 32, (t) => env.http.request("DELETE", "/v1/cart", { token: t }));
    const cats = await env.http.request("GET", "/v1/categories");
    const categoryId = (cats.json as { items: { id: string }[] }).items[0]?.id ?? "";
    return () => {
      const r = Math.random();
      if (r < MIX.browse) return (ctx) => browseJourney(ctx, catalog);
      if (r < MIX.browse + MIX.shopper) return (ctx) => shopperJourney(ctx, catalog, customers, env.options.loginShare);
      return (ctx) => adminJourney(ctx, token, categoryId);
    };
  },
  async verify(env) {
    await shopper.verify?.(env);
    await admin.verify?.(env);
  },
};
