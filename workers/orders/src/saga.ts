import { fail, type DomainError } from "../../../shared/errors.ts";
import { compensate, refuse } from "./saga-compensate.ts";
import { bump, money, reprice, setStatus, weightOf, type OrderState } from "./order-state.ts";
import { errorText } from "../../../shared/observability.ts";
import { priceChange } from "./expected-total.ts";

/** Reservations outlive a slow payment provider, and expire on their own if everything else fails. */
export const RESERVATION_TTL_SECONDS = 300;

/** What a saga step needs from the OrderDO hosting it. */
export interface SagaHost {
  readonly state: OrderState;
  readonly env: OrdersEnv;
  /** Persists `state` synchronously (SQLite), before the next remote call. */
  save(): void;
}

const INTERRUPTED: DomainError = { code: "SERVICE_UNAVAILABLE", detail: "Checkout was interrupted; nothing was charged. Please try again." };

function items(s: OrderState): { sku: string; quantity: number }[] {
  return s.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
}

/**
 * Runs the checkout saga from its persisted step to a terminal one.
 * `live` is true inside the checkout request; from the alarm (the request
 * died) a step before capture is compensated instead of retried, while an
 * authorised, reserved order is driven forward to `paid`. A throw leaves the
 * step as persisted for the alarm to pick up.
 */
export async function drive(h: SagaHost, live: boolean): Promise<void> {
  for (;;) {
    const s = h.state;
    const early = s.step === "quoting" || s.step === "reserving" || s.step === "authorizing";
    if (early && !live) {
      refuse(h, INTERRUPTED);
      continue;
    }
    switch (s.step) {
      case "quoting":
      case "reserving": await guard(h, () => quoteAndReserve(h)); break;
      case "authorizing": await guard(h, () => authorize(h)); break;
      case "capturing": await capture(h); break;
      case "compensating": await compensate(h); break;
      case "cancelling": await cancel(h); break;
      default: return;
    }
  }
}

/** Before capture any throw is compensated at once: nothing may stay held for an answer we never got. */
async function guard(h: SagaHost, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "checkout step failed", orderId: h.state.orderId, step: h.state.step, error: errorText(err) }));
    refuse(h, INTERRUPTED);
  }
}

/**
 * Quote shipping, reserve stock and look up today's prices at once (the
 * quote needs no stock, the reservation no price), saving round trips on the
 * hot path; the lines are then repriced (`reprice`). The reservation is
 * persisted as possibly taken before the calls; any refusal releases it.
 * The quote's error wins (it is the client's input, so the answer does not
 * depend on the stock of the moment), then a SKU no longer sold, then stock,
 * then a total other than the client's `expectedTotal` (PRICE_CHANGED: a cart
 * that cannot be bought as it is changes its total anyway). Every refusal here
 * comes before payment, so the order is never recorded (no history entry).
 */
async function quoteAndReserve(h: SagaHost): Promise<void> {
  const s = h.state;
  if (s.stock === "none") {
    s.step = "reserving";
    s.stock = "maybe";
    h.save();
  }
  const weight = weightOf(s.lines);
  const [quoted, r, current] = await Promise.all([
    h.env.SHIPPING.quote(s.shippingOptionId, s.country, weight),
    h.env.CATALOG.reserve(s.orderId, items(s), RESERVATION_TTL_SECONDS),
    h.env.CATALOG.getVariants(s.lines.map((l) => l.sku)),
  ]);
  // All-or-nothing: a refused reservation holds nothing, except after SERVICE_UNAVAILABLE (a release may have failed).
  s.stock = r.ok ? "reserved" : r.error.code === "SERVICE_UNAVAILABLE" ? "maybe" : "none";
  if (!quoted.ok) return refuse(h, quoted.error);
  const priced = reprice(s, current);
  if (priced) return refuse(h, priced);
  // A weight corrected since the cart was filled: quoted again at what the lines weigh now (rare, so not on every checkout's path).
  const q = weightOf(s.lines) === weight ? quoted : await h.env.SHIPPING.quote(s.shippingOptionId, s.country, weightOf(s.lines));
  if (!q.ok) return refuse(h, q.error);
  if (q.value.price.currency !== s.currency) {
    return refuse(h, fail("VALIDATION_FAILED", "This shipping option is priced in another currency.", [{ path: "shippingOptionId", message: "Currency differs from the cart" }]).error);
  }
  if (!r.ok) return refuse(h, r.error);
  const changed = priceChange(s, q.value.price.amount);
  if (changed) return refuse(h, changed);
  s.shipping = q.value.price.amount;
  s.step = "authorizing";
  s.pay = "maybe";
  s.recorded = true; // from here a payment is attempted, so the order gets a durable record
  h.save();
}

async function authorize(h: SagaHost): Promise<void> {
  const s = h.state;
  const amount = money(s.subtotal + (s.shipping ?? 0), s.currency);
  const a = await h.env.PAYMENTS.authorize({ paymentId: s.paymentId, orderId: s.orderId, userId: s.userId, amount, token: s.token ?? "" });
  s.token = null;
  if (!a.ok) {
    s.pay = "failed";
    return refuse(h, a.error);
  }
  s.payment = a.value;
  s.pay = "authorized";
  s.step = "capturing";
  h.save();
}

/**
 * Commit stock and capture payment together; both are idempotent, so the
 * alarm may repeat this step. If either is refused the other is undone.
 */
async function capture(h: SagaHost): Promise<void> {
  const s = h.state;
  const [committed, captured] = await Promise.all([
    h.env.CATALOG.commit(s.orderId, s.lines.map((l) => l.sku)),
    h.env.PAYMENTS.capture(s.paymentId),
  ]);
  if (committed.ok) s.stock = "committed";
  if (captured.ok) {
    s.payment = captured.value;
    s.pay = "captured";
  }
  if (!committed.ok || !captured.ok) {
    const error = !captured.ok ? captured.error : committed.ok ? null : withRequested(s, committed.error);
    return refuse(h, error ?? INTERRUPTED);
  }
  s.step = "paid";
  setStatus(s, "paid");
  bump(s);
  h.save();
}

/** paid -> cancelled: refund, return the stock (both idempotent by order), record the change. */
async function cancel(h: SagaHost): Promise<void> {
  const s = h.state;
  if (s.pay !== "refunded") {
    const r = await h.env.PAYMENTS.refund(s.paymentId);
    if (!r.ok) {
      s.step = "paid"; // the refund was refused: the order stays paid, the caller sees why
      s.failure = r.error;
      h.save();
      return;
    }
    s.payment = r.value;
    s.pay = "refunded";
    h.save();
  }
  const back = await h.env.CATALOG.restock(`${s.orderId}:cancel`, items(s), "order cancelled");
  if (!back.ok) throw new Error(`restock refused: ${back.error.code}`);
  s.stock = "restocked";
  s.step = "cancelled";
  s.failure = null;
  setStatus(s, "cancelled");
  bump(s);
  h.save();
}

/** A shortage found at commit (a hold that expired) names the SKUs only: each entry gets the units this order asked for. */
function withRequested(s: OrderState, error: DomainError): DomainError {
  if (error.code !== "OUT_OF_STOCK" || !error.errors) return error;
  const asked = new Map(s.lines.map((l) => [l.sku, l.quantity]));
  return { ...error, errors: error.errors.map((e) => (e.sku !== undefined && asked.has(e.sku) ? { ...e, requested: asked.get(e.sku) } : e)) };
}
