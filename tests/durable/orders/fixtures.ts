/// <reference types="@cloudflare/vitest-plugin/types" />
/**
 * Fixtures for CartDO / OrderDO tests in the `orders` project: the real
 * catalog, payments and shipping Workers sit behind `env`, so a saga runs
 * against real StockDOs and PaymentDOs and real Postgres.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { CartDO } from "../../../durable/cart-do.ts";
import type { OrderDO } from "../../../durable/order-do.ts";
import type { CartVariant } from "../../../shared/schemas/cart.ts";
import type { CheckoutInput } from "../../../shared/schemas/orders.ts";
import type { OrdersService } from "../../../workers/orders/src/index.ts";
import type { OrderState, PlaceOrderInput } from "../../../workers/orders/src/order-state.ts";
import { loadState, saveState } from "../../../workers/orders/src/order-store.ts";

export const ordersEnv = env as unknown as OrdersEnv;
export const service = (exports as unknown as { OrdersService: Service<typeof OrdersService> }).OrdersService;

let n = 0;
export const uid = (tag: string): string => `${tag}-${Date.now().toString(36)}-${n++}-${Math.random().toString(36).slice(2, 6)}`;

/** A fresh catalog SKU with `stock` units, as the cart would snapshot it. */
export async function stockedVariant(stock: number, price = 1000): Promise<CartVariant> {
  const slug = uid("cat");
  const cat = await ordersEnv.CATALOG.createCategory({ name: slug, slug });
  if (!cat.ok) throw new Error(`category: ${cat.error.code}`);
  const sku = uid("DO").toUpperCase();
  const p = await ordersEnv.CATALOG.createProduct({
    title: "Saga mug",
    description: "test",
    categoryId: cat.value.id,
    variants: [{ sku, title: "One", price: { amount: price, currency: "USD" }, initialStock: stock, weightGrams: 300 }],
  });
  if (!p.ok) throw new Error(`product: ${p.error.code}`);
  const v = (await ordersEnv.CATALOG.getVariants([sku]))[sku];
  if (!v) throw new Error("variant missing");
  return { sku, productId: v.productId, title: v.title, price: v.price, weightGrams: v.weightGrams };
}

export async function available(sku: string): Promise<number | undefined> {
  return (await ordersEnv.CATALOG.getAvailability([sku]))[sku];
}

export const cartOf = (userId: string): DurableObjectStub<CartDO> => ordersEnv.CART.get(ordersEnv.CART.idFromName(userId));
export const orderOf = (orderId: string): DurableObjectStub<OrderDO> => ordersEnv.ORDER.get(ordersEnv.ORDER.idFromName(orderId));

export function checkoutInput(paymentToken = "tok_visa"): CheckoutInput {
  return {
    shippingAddress: { name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
    shippingOptionId: "ship_us_standard",
    paymentToken,
  };
}

/** A user with `quantity` of a fresh SKU in the cart and a claimed idempotency key: the saga's input, as OrdersService builds it. */
export async function begunCheckout(quantity: number, stock = 10, paymentToken = "tok_visa") {
  const userId = uid("usr");
  const variant = await stockedVariant(stock);
  const cart = cartOf(userId);
  const added = await cart.addItem(variant, quantity, stock);
  expect(added.ok).toBe(true);
  const key = uid("key");
  const begun = await cart.beginCheckout(key, "hash-1", "req-1");
  if (begun.kind !== "start") throw new Error(`begin: ${begun.kind}`);
  const input: PlaceOrderInput = {
    orderId: begun.orderId,
    paymentId: begun.paymentId,
    userId,
    idempotencyKey: key,
    lines: begun.lines,
    checkout: checkoutInput(paymentToken),
  };
  return { userId, variant, key, input, cart, order: orderOf(begun.orderId) };
}

export async function readState(stub: DurableObjectStub<OrderDO>): Promise<OrderState | null> {
  return runInDurableObject(stub, (_i: OrderDO, state) => loadState(state.storage.sql));
}

/** Overwrites the persisted saga state and arms the alarm, as a crashed Worker would leave it. */
export async function writeState(stub: DurableObjectStub<OrderDO>, s: OrderState): Promise<void> {
  await runInDurableObject(stub, async (_i: OrderDO, state) => {
    saveState(state.storage.sql, s);
    await state.storage.setAlarm(Date.now() + 60_000);
  });
}
