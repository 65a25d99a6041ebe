/**
 * Fixtures for the cart, checkout and orders e2e tests, on top of the
 * harness client (requests go through the gateway's fetch handler in
 * workerd): customers, products with stock, checkout bodies, polling.
 */
import { expect } from "vitest";
import type { Cart } from "../../shared/schemas/cart.ts";
import type { Order } from "../../shared/schemas/orders.ts";
import { adminToken, api, newCustomer, problemOf, unique, type ApiResponse } from "./client.ts";

export { adminToken, api };
export type ApiResult<T> = ApiResponse<T>;

/** Unique per call, so tests never share state. */
export const uid = (): string => unique("t").replaceAll("-", "");

export interface Customer {
  token: string;
  userId: string;
}

export async function customer(): Promise<Customer> {
  const u = await newCustomer();
  return { token: u.token, userId: u.id };
}

export interface Variant {
  sku: string;
  productId: string;
  title: string;
  price: { amount: number; currency: string };
}

/** Creates a product with one variant per entry of `stocks` (fresh SKUs) and returns the variants. */
export async function product(admin: string, stocks: number[], price = 1250): Promise<Variant[]> {
  const slug = `c-${uid()}`;
  const cat = await api<{ id: string }>("POST", "/v1/categories", { token: admin, body: { name: slug, slug } });
  expect(cat.status, JSON.stringify(cat.body)).toBe(201);
  const categoryId = cat.body.id;
  const tag = uid().toUpperCase();
  const title = `Mug ${tag}`;
  const variants = stocks.map((initialStock, i) => ({ sku: `T-${tag}-${i}`, title: `V${i}`, price: { amount: price + i, currency: "USD" }, initialStock }));
  const res = await api<{ id: string }>("POST", "/v1/products", { token: admin, body: { title, description: "test", categoryId, variants } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return variants.map((v) => ({ sku: v.sku, productId: res.body.id, title: `${title} - ${v.title}`, price: v.price }));
}

export interface Inventory {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
}

export async function inventory(admin: string, sku: string): Promise<Inventory> {
  return (await api<Inventory>("GET", `/v1/inventory/${encodeURIComponent(sku)}`, { token: admin })).body;
}

export async function addToCart(token: string, sku: string, quantity: number): Promise<ApiResult<Cart>> {
  return api<Cart>("POST", "/v1/cart/items", { token, body: { sku, quantity } });
}

export const address = { name: "Ada Lovelace", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
export const SHIPPING_OPTION = "ship_us_standard";

export function checkoutBody(paymentToken = "tok_visa"): Record<string, unknown> {
  return { shippingAddress: address, shippingOptionId: SHIPPING_OPTION, paymentToken };
}

export async function checkout(token: string, body = checkoutBody(), key: string = uid()): Promise<ApiResult<Order>> {
  return api<Order>("POST", "/v1/checkout", { token, body, headers: { "idempotency-key": key } });
}

/** A problem+json body with the given status and code (and `errors` when given). */
export function problem(status: number, code: string, errors?: unknown): Record<string, unknown> {
  return problemOf(status, code, errors === undefined ? {} : { errors });
}

/** Retries `check` until it stops throwing (for work done after the response, e.g. the outbox). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
