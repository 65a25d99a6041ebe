/**
 * flash-sale: N shoppers race for K units of one fresh SKU (add to cart,
 * checkout with tok_visa). Afterwards: exactly K paid orders (or N if fewer
 * shoppers than units), no 5xx, and the SKU's inventory reads on hand 0,
 * reserved 0 — the oversell and dangling-hold checks.
 */
import { parallel } from "../lib/fixtures.ts";
import { addToCart, checkout } from "./checkout-steps.ts";
import type { Scenario, ScenarioEnv } from "./types.ts";

interface Sale {
  sku: string;
  optionId: string;
  orders: string[];
  soldOutAtS?: number;
  startedAt: number;
}

let sale: Sale | undefined;

async function createSaleProduct(env: ScenarioEnv, token: string, units: number): Promise<string> {
  const cats = await env.http.request("GET", "/v1/categories");
  const categoryId = (cats.json as { items: { id: string }[] }).items[0]?.id;
  if (!categoryId) throw new Error("flash-sale needs at least one category on the target");
  const sku = `FLASH-${Date.now().toString(36).toUpperCase()}`;
  const res = await env.http.request("POST", "/v1/products", {
    token,
    body: { title: `Flash sale ${sku}`, description: "Limited drop for the flash-sale load scenario.", categoryId, variants: [{ sku, title: "One size", price: { amount: 4999, currency: "USD" }, initialStock: units }] },
  });
  if (res.status !== 201) throw new Error(`creating the flash-sale product failed: ${res.status} ${res.text.slice(0, 200)}`);
  return sku;
}

export const flashSale: Scenario = {
  name: "flash-sale",
  description: "N shoppers race for K units of one SKU; exactly K paid orders",
  baseRate: 500,
  // Every racing checkout must have settled before the stock is counted.
  graceS: 180,
  maxArrivals: (o) => o.shoppers,
  async setup(env) {
    const { shoppers, units } = env.options;
    if (env.options.customers < shoppers) throw new Error(`flash-sale needs --customers >= --shoppers (${shoppers})`);
    const [token, customers] = await Promise.all([env.adminToken(), env.customers()]);
    const sku = await createSaleProduct(env, token, units);
    const opts = await env.http.request("GET", "/v1/shipping/options?country=US");
    const optionId = (opts.json as { items: { id: string }[] }).items[0]?.id ?? "";
    // Each racing shopper starts with an empty cart.
    await parallel(customers.tokens.slice(0, shoppers), 32, (t) => env.http.request("DELETE", "/v1/cart", { token: t }));
    const s: Sale = { sku, optionId, orders: [], startedAt: performance.now() };
    sale = s;
    return (i) => async (ctx) => {
      const shopperToken = customers.tokens[i] as string;
      const added = await addToCart(ctx, shopperToken, s.sku, true);
      if (added.status !== 200) return ctx.recorder.count("flash.sold_out_at_cart");
      const result = await checkout(ctx, shopperToken, s.optionId, true);
      if (result.status !== 201 || !result.orderId) return ctx.recorder.count("flash.sold_out_at_checkout");
      s.orders.push(result.orderId);
      if (s.orders.length === units) s.soldOutAtS = (performance.now() - s.startedAt) / 1000;
    };
  },
  async verify(env) {
    if (!sale) return;
    const { shoppers, units } = env.options;
    const expected = Math.min(shoppers, units);
    const r = env.recorder;
    const token = await env.adminToken();
    const inv = await env.http.request("GET", `/v1/inventory/${sale.sku}`, { token });
    const stock = inv.json as { onHand?: number; reserved?: number; available?: number };
    const sold = sale.orders.length;
    r.check("no oversell: paid orders <= K", sold <= units, `${sold} orders for ${units} units`);
    r.check(
      "stock invariant: on hand + acknowledged orders = K, nothing reserved",
      inv.status === 200 && stock.onHand === units - sold && stock.reserved === 0 && stock.available === units - sold,
      `${sold} acknowledged orders; GET /v1/inventory/${sale.sku} -> ${inv.status} ${inv.text.slice(0, 120)}`,
    );
    r.check("sold out: exactly min(K, N) paid orders", sold === expected, `${sold} orders for ${units} units and ${shoppers} shoppers`);
    r.check("no 5xx", r.totals().fiveXx === 0, `${r.totals().fiveXx} responses were 5xx`);
    let notPaid = 0;
    await parallel(sale.orders, 16, async (id) => {
      const o = await env.http.request("GET", `/v1/orders/${id}`, { token });
      if ((o.json as { status?: string } | undefined)?.status !== "paid") notPaid++;
    });
    r.check("every acknowledged order exists and is paid", notPaid === 0, `${notPaid} of ${sale.orders.length} orders not found as paid`);
    if (sale.soldOutAtS !== undefined) r.count("flash.sold_out_after_ms", Math.round(sale.soldOutAtS * 1000));
    const customers = await env.customers();
    await parallel(customers.tokens.slice(0, shoppers), 32, (t) => env.http.request("DELETE", "/v1/cart", { token: t }));
  },
};
