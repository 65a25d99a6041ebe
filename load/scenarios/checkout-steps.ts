/** The add-to-cart and checkout steps the shopper, flash-sale and benchmark journeys share. */
import { randomUUID } from "node:crypto";
import type { JourneyContext } from "../lib/context.ts";
import type { HttpResult } from "../lib/http.ts";

export const ADDRESS = { name: "Bench Shopper", line1: "1 Load Street", city: "Springfield", postalCode: "12345", country: "US" };

export interface CheckoutOutcome {
  status: number;
  orderId?: string;
  orderStatus?: string;
}

/** GET /v1/shipping/options?country=US and return the first option's id. */
export async function shippingOption(ctx: JourneyContext): Promise<string> {
  const res = await ctx.step("shipping.options", "GET", "/v1/shipping/options?country=US");
  const id = (res.json as { items?: { id: string }[] }).items?.[0]?.id;
  if (!id) throw new Error("no shipping option for US");
  return id;
}

/** POST /v1/cart/items; `allowOutOfStock` makes 409 a normal outcome (a sold-out item). */
export async function addToCart(ctx: JourneyContext, token: string, sku: string, allowOutOfStock = false, headers: Record<string, string> = {}): Promise<HttpResult> {
  return ctx.step("cart.add", "POST", "/v1/cart/items", { token, headers, body: { sku, quantity: 1 }, expect: allowOutOfStock ? [200, 409] : [200] });
}

/**
 * POST /v1/checkout with tok_visa and a fresh Idempotency-Key. 201 must be a
 * `paid` order; 409 OUT_OF_STOCK is a normal outcome when `allowOutOfStock`.
 */
export async function checkout(ctx: JourneyContext, token: string, shippingOptionId: string, allowOutOfStock = false, headers: Record<string, string> = {}): Promise<CheckoutOutcome> {
  const res = await ctx.step("checkout", "POST", "/v1/checkout", {
    token,
    headers: { ...headers, "idempotency-key": randomUUID() },
    body: { shippingAddress: ADDRESS, shippingOptionId, paymentToken: "tok_visa" },
    expect: allowOutOfStock ? [201, 409] : [201],
  });
  const body = res.json as { id?: string; status?: string; code?: string } | undefined;
  if (res.status === 201) {
    if (body?.status !== "paid") ctx.recorder.count("checkout 201 but not paid");
    else if (body.id) ctx.recorder.paidOrderIds.push(body.id);
    return { status: 201, orderId: body?.id, orderStatus: body?.status };
  }
  return { status: res.status };
}

/** DELETE /v1/cart (so a shopper's next journey starts empty). */
export async function clearCart(ctx: JourneyContext, token: string): Promise<void> {
  await ctx.step("cart.clear", "DELETE", "/v1/cart", { token, expect: [204] });
}
