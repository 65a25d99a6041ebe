import { fail, ok, orPreviousRelease, type Result } from "../../../shared/errors.ts";
import type { Cart, CartVariant } from "../../../shared/schemas/cart.ts";
import { cartVariantsOf, type CartVariantInfo } from "../../../shared/schemas/catalog.ts";
import { own } from "../../../shared/records.ts";
import { errorText } from "../../../shared/observability.ts";

function cartOf(env: OrdersEnv, userId: string) {
  return env.CART.get(env.CART.idFromName(userId));
}

/**
 * Price snapshot and live availability for one SKU, asked before the CartDO
 * call so no RPC ever runs inside the cart's critical section.
 */
async function lookUp(env: OrdersEnv, sku: string): Promise<{ variant: CartVariant; available: number } | null> {
  const v = own(await cartVariants(env, sku), sku);
  if (!v) return null;
  return { variant: { sku: v.sku, productId: v.productId, title: v.title, price: v.price, weightGrams: v.weightGrams }, available: v.available };
}

/**
 * One catalog call (`getCartVariants`). A catalog of the release before it
 * has no such method: during a rollout that meets one, the two calls it
 * replaced answer instead (drop this fallback once every catalog has it).
 */
export function cartVariants(env: Pick<OrdersEnv, "CATALOG">, sku: string): Promise<Record<string, CartVariantInfo>> {
  return orPreviousRelease("getCartVariants", () => env.CATALOG.getCartVariants([sku]), async () => {
    const [variants, availability] = await Promise.all([env.CATALOG.getVariants([sku]), env.CATALOG.getAvailability([sku])]);
    return cartVariantsOf(variants, availability);
  });
}

/**
 * The user's cart at the catalog's current prices (`atCurrentPrices`).
 */
export async function getCart(env: OrdersEnv, userId: string): Promise<Cart> {
  const stub = cartOf(env, userId);
  return atCurrentPrices(env, stub, await stub.getCart());
}

/**
 * A cart as checkout would price it: a line stores the price of when it was
 * added, and takes the catalog's new one once that changed, so the cart shows
 * what checkout will charge (checkout reprices the same way). A line whose
 * product was deleted stays, for the customer to remove, marked
 * `excludedFromSubtotal: "NO_LONGER_SOLD"` and left out of the subtotal
 * (checkout refuses it, naming it). Should the catalog not answer, the cart
 * as stored.
 */
async function atCurrentPrices(env: OrdersEnv, stub: ReturnType<typeof cartOf>, cart: Cart): Promise<Cart> {
  if (cart.items.length === 0) return cart;
  let current: Record<string, CartVariant>;
  try {
    current = await env.CATALOG.getVariants(cart.items.map((i) => i.sku));
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "orders", msg: "cart: price look-up failed, showing stored prices", error: errorText(err) }));
    return cart;
  }
  const changed = Object.values(current).filter((v) => {
    const line = cart.items.find((i) => i.sku === v.sku);
    return line && (line.unitPrice.amount !== v.price.amount || line.unitPrice.currency !== v.price.currency || line.title !== v.title);
  });
  const priced = changed.length === 0 ? cart : await stub.refreshPrices(changed);
  return withoutUnsold(priced, (sku) => own(current, sku) !== undefined);
}

/** The cart with the lines of SKUs no longer sold marked and left out of its subtotal. */
function withoutUnsold(cart: Cart, sold: (sku: string) => boolean): Cart {
  if (cart.items.every((i) => sold(i.sku))) return cart;
  const unsold = cart.items.filter((i) => !sold(i.sku) && i.lineTotal.currency === cart.subtotal.currency);
  const amount = cart.subtotal.amount - unsold.reduce((sum, i) => sum + i.lineTotal.amount, 0);
  return {
    ...cart,
    items: cart.items.map((i) => (sold(i.sku) ? i : { ...i, excludedFromSubtotal: "NO_LONGER_SOLD" as const })),
    subtotal: { amount, currency: cart.subtotal.currency },
  };
}

/**
 * A cart a write answered, priced as `getCart` prices it. An add prices its
 * own line (`pricedSku`), so a cart holding only that line needs no second look-up.
 */
async function answered(env: OrdersEnv, stub: ReturnType<typeof cartOf>, result: Result<Cart>, pricedSku?: string): Promise<Result<Cart>> {
  if (!result.ok || result.value.items.every((i) => i.sku === pricedSku)) return result;
  try {
    return ok(await atCurrentPrices(env, stub, result.value));
  } catch (err) {
    // The write is done: a 500 now would have a client send it again (and add twice). The cart as the write left it.
    console.error(JSON.stringify({ level: "error", worker: "orders", msg: "cart: repricing a write's answer failed, answering the cart as stored", error: errorText(err) }));
    return result;
  }
}

/** Adds to the user's line for `sku`; 404 UNKNOWN_SKU, 409 OUT_OF_STOCK beyond what is available. */
export async function addCartItem(env: OrdersEnv, userId: string, sku: string, quantity: number): Promise<Result<Cart>> {
  const found = await lookUp(env, sku);
  if (!found) return fail("UNKNOWN_SKU", `No product variant has the SKU ${sku}.`);
  const stub = cartOf(env, userId);
  return answered(env, stub, await stub.addItem(found.variant, quantity, found.available), sku);
}

/**
 * Sets a line's quantity (0 removes); a quantity is checked against live
 * availability, and a SKU the catalog no longer sells (a deleted product,
 * absent from the answer) is 404 UNKNOWN_SKU, as adding it is.
 */
export async function updateCartItem(env: OrdersEnv, userId: string, sku: string, quantity: number): Promise<Result<Cart>> {
  const available = quantity > 0 ? (own(await env.CATALOG.getAvailability([sku]), sku) ?? null) : 0;
  const stub = cartOf(env, userId);
  return answered(env, stub, await stub.updateItem(sku, quantity, available));
}

export async function removeCartItem(env: OrdersEnv, userId: string, sku: string): Promise<Result<Cart>> {
  const stub = cartOf(env, userId);
  return answered(env, stub, await stub.removeItem(sku));
}

export async function clearCart(env: OrdersEnv, userId: string): Promise<void> {
  await cartOf(env, userId).clear();
}
