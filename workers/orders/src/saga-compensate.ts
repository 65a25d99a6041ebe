import type { DomainError } from "../../../shared/errors.ts";
import { bump, setStatus } from "./order-state.ts";
import type { SagaHost } from "./saga.ts";

/** Records why the checkout fails and switches the saga to compensation (persisted first). */
export function refuse(h: SagaHost, error: DomainError): void {
  const s = h.state;
  s.failure = error;
  s.token = null;
  s.step = "compensating";
  h.save();
}

/**
 * Undoes whatever the saga may hold, each undo idempotent and persisted as
 * it completes, then ends the order `failed`: a reservation (or one that may
 * exist) is released, committed stock is returned, an authorisation (or one
 * that may exist) is voided, a capture is refunded. A throw leaves the rest
 * for the alarm.
 */
export async function compensate(h: SagaHost): Promise<void> {
  const s = h.state;
  const skus = s.lines.map((l) => l.sku);
  if (s.stock === "maybe" || s.stock === "reserved") {
    const r = await h.env.CATALOG.release(s.orderId, skus);
    if (!r.ok && r.error.code !== "NOT_FOUND") throw new Error(`release refused: ${r.error.code}`);
    s.stock = "released";
    h.save();
  }
  if (s.stock === "committed") {
    const items = s.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
    const r = await h.env.CATALOG.restock(`${s.orderId}:compensate`, items, "checkout compensation");
    if (!r.ok) throw new Error(`restock refused: ${r.error.code}`);
    s.stock = "restocked";
    h.save();
  }
  if (s.pay === "maybe" || s.pay === "authorized") {
    const v = await h.env.PAYMENTS.voidAuthorization(s.paymentId);
    if (v.ok) {
      s.payment = v.value;
      s.pay = "voided";
    } else if (v.error.code === "CONFLICT") {
      // Too late to void: the payment was captured (a capture whose answer was lost, or the provider's own), so it is
      // refunded below; retrying the void would be refused forever.
      const p = await h.env.PAYMENTS.getPayment(s.paymentId);
      if (p?.status !== "captured" && p?.status !== "refunded") throw new Error(`void refused: CONFLICT with the payment ${p?.status ?? "missing"}`);
      const { providerRef: _ref, ...summary } = p;
      s.payment = summary;
      s.pay = p.status;
    } else if (s.pay === "maybe") {
      s.pay = "failed"; // no authorisation exists to void
    } else {
      throw new Error(`void refused: ${v.error.code}`);
    }
    h.save();
  }
  if (s.pay === "captured") {
    const r = await h.env.PAYMENTS.refund(s.paymentId);
    if (!r.ok) throw new Error(`refund refused: ${r.error.code}`);
    s.payment = r.value;
    s.pay = "refunded";
    h.save();
  }
  if (s.pay === "failed" && !s.payment) await keepFailedPayment(h);
  s.step = "failed";
  setStatus(s, "failed");
  bump(s);
  h.save();
}

/**
 * A declined or failed authorization's record, kept with the order so its
 * outbox copies it to Postgres too: the payments Worker's own copy is best
 * effort, after its answer, and a crash right then would leave
 * `GET /v1/orders/{id}/payments` without it for good. Best effort itself: the
 * order fails the same without it.
 */
async function keepFailedPayment(h: SagaHost): Promise<void> {
  const s = h.state;
  const failed = await h.env.PAYMENTS.getPayment(s.paymentId).catch(() => null);
  if (failed?.status !== "failed") return;
  const { providerRef: _ref, ...summary } = failed;
  s.payment = summary;
  h.save();
}
