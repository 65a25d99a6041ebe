/**
 * shopper: a customer who (sometimes) logs in, browses, opens a product,
 * adds a variant to the cart and checks out with tok_visa. Each journey
 * leases its own customer, because a cart belongs to one user.
 */
import { pick, type JourneyContext } from "../lib/context.ts";
import { BENCH_PASSWORD, benchEmail } from "../../scripts/bench-seed.ts";
import { parallel, type Catalog, type CustomerPool } from "../lib/fixtures.ts";
import { addToCart, checkout, clearCart, shippingOption } from "./checkout-steps.ts";
import type { Scenario } from "./types.ts";

/** One shopping session; exported for the mixed scenario. */
export async function shopperJourney(ctx: JourneyContext, catalog: Catalog, customers: CustomerPool, loginShare: number): Promise<void> {
  const who = await customers.lease();
  try {
    let token = customers.tokens[who] as string;
    if (Math.random() < loginShare) {
      const res = await ctx.step("auth.login", "POST", "/v1/auth/login", { body: { email: benchEmail(who), password: BENCH_PASSWORD } });
      token = (res.json as { token: string }).token;
    }
    await ctx.step("products.list", "GET", "/v1/products?limit=20");
    const productId = pick(catalog.productIds);
    const product = await ctx.step("product.get", "GET", `/v1/products/${productId}`);
    const variants = (product.json as { variants: { sku: string; available: number }[] }).variants.filter((v) => v.available > 0);
    const sku = variants.length > 0 ? pick(variants).sku : pick(catalog.skus);
    await addToCart(ctx, token, sku);
    const optionId = await shippingOption(ctx);
    const result = await checkout(ctx, token, optionId, true);
    if (result.status === 201) ctx.recorder.count("checkouts.paid");
    else {
      ctx.recorder.count("checkouts.out_of_stock");
      await clearCart(ctx, token);
    }
  } finally {
    customers.release(who);
  }
}

export const shopper: Scenario = {
  name: "shopper",
  description: "customers: login (sometimes), browse, add to cart, checkout with tok_visa",
  baseRate: 20,
  async setup(env) {
    const [catalog, customers] = await Promise.all([env.catalog(), env.customers()]);
    // Never let a leftover cart line from an aborted run make checkouts fail.
    await parallel(customers.tokens, 32, (token) => env.http.request("DELETE", "/v1/cart", { token }));
    return () => (ctx) => shopperJourney(ctx, catalog, customers, env.options.loginShare);
  },
  async verify(env) {
    const paid = env.recorder.counters.get("checkouts.paid") ?? 0;
    const notPaid = env.recorder.counters.get("checkout 201 but not paid") ?? 0;
    env.recorder.check("every 201 checkout is a paid order", notPaid === 0, `${paid} paid, ${notPaid} answered 201 without status paid`);
  },
};
