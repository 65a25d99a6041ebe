import type { DomainError } from "../../../shared/errors.ts";
import type { CheckoutLine } from "../../../shared/schemas/cart.ts";
import { currencyOfCart } from "./cart-store.ts";
import type { VariantInfo } from "../../../shared/schemas/catalog.ts";
import type { Money } from "../../../shared/schemas/common.ts";
import type { CheckoutInput, Order, OrderStatus, OrderStatusChange, ShippingAddress } from "../../../shared/schemas/orders.ts";
import type { PaymentSummary } from "../../../shared/schemas/payments.ts";
import { own } from "../../../shared/records.ts";
import { timeOfId } from "../../../shared/ids.ts";

/**
 * Where the saga stands. Each step is persisted BEFORE the remote call it
 * names, so after a crash the alarm knows which call may have happened:
 * quoting (nothing called yet) -> reserving (shipping quote and stock
 * reservation, in parallel) -> authorizing -> capturing -> paid, or
 * compensating -> failed; later paid -> cancelling -> cancelled.
 */
export type SagaStep =
  | "quoting" | "reserving" | "authorizing" | "capturing" | "compensating" | "cancelling"
  | "paid" | "failed" | "cancelled" | "shipped" | "delivered";

/** Stock held for the order: "maybe" = a reserve call may have taken it. */
export type StockHold = "none" | "maybe" | "reserved" | "committed" | "released" | "restocked";
/** Money movement: "maybe" = an authorize call may have succeeded. */
export type PaymentHold = "none" | "maybe" | "authorized" | "captured" | "voided" | "refunded" | "failed";

/** Everything the OrderDO keeps about its order (one JSON row in its SQLite). */
export interface OrderState {
  orderId: string;
  userId: string;
  idempotencyKey: string;
  paymentId: string;
  lines: CheckoutLine[];
  shippingAddress: ShippingAddress;
  shippingOptionId: string;
  country: string;
  /** The provider token, kept only until authorisation (a token, never a card number). */
  token: string | null;
  currency: string;
  subtotal: number;
  shipping: number | null;
  /** The total the client agreed to (checkout's `expectedTotal`); absent when it named none, or in states saved before it existed. */
  expectedTotal?: Money;
  step: SagaStep;
  status: OrderStatus;
  stock: StockHold;
  pay: PaymentHold;
  payment: PaymentSummary | null;
  failure: DomainError | null;
  history: OrderStatusChange[];
  /** Bumped on every change; Postgres applies only a newer version. */
  version: number;
  deliveredVersion: number;
  /** True once a payment was attempted: such an order (paid or failed) gets a Postgres record. */
  recorded: boolean;
  cartNotified: boolean;
  shipmentCreated: boolean;
  /** True once the shipping Worker cancelled the shipment of this cancelled order (absent in states saved before it existed). */
  shipmentCancelled?: boolean;
  outboxAttempts: number;
  createdAt: string;
  updatedAt: string;
}

export interface PlaceOrderInput {
  orderId: string;
  paymentId: string;
  userId: string;
  idempotencyKey: string;
  lines: CheckoutLine[];
  /** The currency the cart was started in (`currencyOfCart`); absent for a cart of the release before. */
  cartCurrency?: string;
  checkout: CheckoutInput;
}

/** The address as the client sent it (line2 only when given). */
export function toShippingAddress(a: CheckoutInput["shippingAddress"]): ShippingAddress {
  return {
    name: a.name,
    line1: a.line1,
    ...(a.line2 ? { line2: a.line2 } : {}),
    city: a.city,
    postalCode: a.postalCode,
    country: a.country,
  };
}

/** What the lines weigh, in grams: what shipping is priced by. */
export function weightOf(lines: readonly CheckoutLine[]): number {
  return lines.reduce((w, l) => w + l.weightGrams * l.quantity, 0);
}

/** What the lines cost, in minor units of their (one) currency. */
function subtotalOf(lines: readonly CheckoutLine[]): number {
  return lines.reduce((sum, l) => sum + l.unitPrice.amount * l.quantity, 0);
}

/** A fresh saga at its first step, with the cart snapshot priced. */
export function initialState(input: PlaceOrderInput, now: Date): OrderState {
  const currency = currencyOfCart(input.lines.map((l) => l.unitPrice.currency), input.cartCurrency) ?? "USD";
  const subtotal = subtotalOf(input.lines);
  const at = now.toISOString();
  // Created when the checkout minted the order's id (the CartDO, a moment before): orders listed by id, newest
  // first, are then listed by createdAt too.
  const created = new Date(Math.min(timeOfId(input.orderId) ?? now.getTime(), now.getTime())).toISOString();
  return {
    orderId: input.orderId, userId: input.userId, idempotencyKey: input.idempotencyKey, paymentId: input.paymentId,
    lines: input.lines, shippingAddress: toShippingAddress(input.checkout.shippingAddress),
    shippingOptionId: input.checkout.shippingOptionId, country: input.checkout.shippingAddress.country,
    token: input.checkout.paymentToken, currency, subtotal, shipping: null,
    ...(input.checkout.expectedTotal ? { expectedTotal: input.checkout.expectedTotal } : {}),
    step: "quoting", status: "pending", stock: "none", pay: "none", payment: null, failure: null,
    history: [{ seq: 1, status: "pending", at: created }], version: 1, deliveredVersion: 0, recorded: false,
    cartNotified: false, shipmentCreated: false, outboxAttempts: 0, createdAt: created, updatedAt: at,
  };
}

/**
 * Brings the order's lines to the catalog's prices, titles and weights of
 * now (`current`, from CatalogService.getVariants): a cart line keeps the
 * price and weight it was added at, and a shop that changed a price since
 * charges the new one (and ships by a corrected weight). Refuses (without
 * changing `s`) a line whose SKU is no longer sold (404 UNKNOWN_SKU naming
 * it) and lines no longer priced in the cart's currency (`currencyOfCart`,
 * as the cart shows it), naming those.
 */
export function reprice(s: OrderState, current: Readonly<Record<string, VariantInfo>>): DomainError | null {
  const gone = s.lines.filter((l) => !own(current, l.sku)).map((l) => l.sku);
  if (gone.length > 0) {
    return { code: "UNKNOWN_SKU", detail: "A product in the cart is no longer sold; remove it and check out again.", errors: gone.map((sku) => ({ path: sku, message: `${sku} is no longer sold` })) };
  }
  const lines = s.lines.map((l) => {
    const v = own(current, l.sku) as VariantInfo;
    return { ...l, productId: v.productId, title: v.title, unitPrice: v.price, weightGrams: v.weightGrams };
  });
  const currency = currencyOfCart(lines.map((l) => l.unitPrice.currency), s.currency);
  const other = lines.filter((l) => l.unitPrice.currency !== currency);
  if (other.length > 0) {
    const errors = other.map((l) => ({ path: l.sku, message: `${l.sku} is now priced in ${l.unitPrice.currency}; the cart is in ${currency}. One currency per order: remove it and check out again.` }));
    return { code: "VALIDATION_FAILED", detail: "The cart's products are now priced in different currencies.", errors };
  }
  s.lines = lines;
  s.currency = currency ?? s.currency;
  s.subtotal = subtotalOf(lines);
  return null;
}

/** Moves the public status and appends it to the history (no-op when unchanged). */
export function setStatus(s: OrderState, status: OrderStatus, at: string = new Date().toISOString()): void {
  if (s.status === status) return;
  s.status = status;
  s.history.push({ seq: s.history.length + 1, status, at });
  s.updatedAt = at;
}

export function money(amount: number, currency: string): Money {
  return { amount, currency };
}

/** The public Order view of the saga state (API.md's Order shape, exactly). */
export function toOrder(s: OrderState): Order {
  const shipping = s.shipping ?? 0;
  const paymentStatus = s.payment?.status ?? (s.pay === "failed" ? "failed" : "pending");
  return {
    id: s.orderId,
    userId: s.userId,
    status: s.status,
    items: s.lines.map((l) => ({
      sku: l.sku,
      productId: l.productId,
      title: l.title,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      lineTotal: money(l.unitPrice.amount * l.quantity, l.unitPrice.currency),
    })),
    subtotal: money(s.subtotal, s.currency),
    shipping: money(shipping, s.currency),
    total: money(s.subtotal + shipping, s.currency),
    shippingAddress: s.shippingAddress,
    shippingOptionId: s.shippingOptionId,
    payment: { id: s.paymentId, status: paymentStatus, ...(s.payment?.last4 ? { last4: s.payment.last4 } : {}) },
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** Bumps the version (so the outbox delivers again) and the update time. */
export function bump(s: OrderState): void {
  s.version += 1;
  s.updatedAt = new Date().toISOString();
}
