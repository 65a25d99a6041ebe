import { httpDb } from "../../../shared/db/http.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { Order } from "../../../shared/schemas/orders.ts";
import { deliverOrder } from "./order-outbox.ts";
import { toOrder, type OrderState } from "./order-state.ts";
import { loadState, saveState } from "./order-store.ts";
import { errorText } from "../../../shared/observability.ts";

/**
 * The checkout's answer for a settled order: the order, or the error that
 * failed it. An order that failed after reaching payment (a decline, a
 * provider error) stays in the history as `failed`, so its error names it
 * (`orderId`); one refused before (out of stock, a price change) left none.
 */
export function outcome(s: OrderState): Result<Order> {
  if (s.status === "failed") {
    const error = s.failure ?? fail("SERVICE_UNAVAILABLE").error;
    return { ok: false, error: s.recorded ? { ...error, orderId: s.orderId } : error };
  }
  return ok(toOrder(s));
}

interface FollowUpHost {
  env: OrdersEnv;
  ctx: DurableObjectState;
}

function log(msg: string, orderId: string, err: unknown): void {
  console.error(JSON.stringify({ level: "error", msg, orderId, error: errorText(err) }));
}

/** Tells the user's CartDO how the checkout ended (stores the idempotent response, empties bought lines). */
export async function notifyCart(h: FollowUpHost): Promise<void> {
  const s = loadState(h.ctx.storage.sql);
  if (!s || s.cartNotified) return;
  const cart = h.env.CART.get(h.env.CART.idFromName(s.userId));
  await cart.completeCheckout(s.idempotencyKey, s.orderId, outcome(s));
  const now = loadState(h.ctx.storage.sql);
  if (!now) return;
  now.cartNotified = true;
  saveState(h.ctx.storage.sql, now);
}

/** True while a settled order still owes the cart, the shipping Worker or Postgres something. */
export function hasFollowUps(s: OrderState): boolean {
  return !s.cartNotified || owesShipment(s) || owesShipmentCancel(s) || (s.recorded && s.deliveredVersion < s.version);
}

/** A paid order without its shipment, unless a cancel is under way (it would only have to cancel the new one). */
function owesShipment(s: OrderState): boolean {
  return s.status === "paid" && s.step !== "cancelling" && !s.shipmentCreated;
}

/**
 * A cancelled order whose shipment was not cancelled yet, whether or not its
 * creation counted as done: a creation that failed may still have written
 * the row (the shipment event's publish failed, or the answer was lost), and
 * cancelling an order's shipment where there is none changes nothing.
 */
function owesShipmentCancel(s: OrderState): boolean {
  return s.status === "cancelled" && !s.shipmentCancelled;
}

/**
 * Everything after a settled saga, each part idempotent and retried by the
 * caller's alarm until done: the cart is told, a paid order gets its
 * shipment and a cancelled one has it cancelled (a failure here never fails
 * the order; a cancelled order's shipment is never created again), and the
 * outbox delivers the current version to Postgres.
 * Returns true when something is left.
 */
export async function followUp(h: FollowUpHost): Promise<boolean> {
  const sql = h.ctx.storage.sql;
  let pending = false;
  try {
    await notifyCart(h);
  } catch (err) {
    log("order: notifying the cart failed", loadState(sql)?.orderId ?? "", err);
    pending = true;
  }
  const s = loadState(sql);
  if (!s) return false;
  if (owesShipment(s)) {
    try {
      const r = await h.env.SHIPPING.createShipment(s.orderId, s.userId);
      if (!r.ok) throw new Error(r.error.code);
      const now = loadState(sql) ?? s;
      now.shipmentCreated = true;
      saveState(sql, now);
    } catch (err) {
      log("order: creating the shipment failed", s.orderId, err);
      pending = true;
    }
  }
  if (owesShipmentCancel(loadState(sql) ?? s)) {
    try {
      const r = await h.env.SHIPPING.cancelShipment(s.orderId);
      if (!r.ok) throw new Error(r.error.code);
      const now = loadState(sql) ?? s;
      now.shipmentCancelled = true;
      saveState(sql, now);
    } catch (err) {
      log("order: cancelling the shipment failed", s.orderId, err);
      pending = true;
    }
  }
  const snapshot = loadState(sql) ?? s;
  if (snapshot.recorded && snapshot.deliveredVersion < snapshot.version) {
    try {
      await deliverOrder(httpDb(h.env), snapshot);
      const now = loadState(sql) ?? snapshot;
      now.deliveredVersion = Math.max(now.deliveredVersion, snapshot.version);
      now.outboxAttempts = 0;
      saveState(sql, now);
    } catch (err) {
      log("order: outbox delivery to Postgres failed, will retry", snapshot.orderId, err);
      const now = loadState(sql) ?? snapshot;
      now.outboxAttempts += 1;
      saveState(sql, now);
      pending = true;
    }
  }
  return pending;
}
