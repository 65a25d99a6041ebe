import type { CheckoutOutcome, CheckoutInput } from "../../../shared/schemas/orders.ts";
import { errorText } from "../../../shared/observability.ts";

/** JSON with keys sorted at every level, so the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of the canonical body: what "same key, same body" compares (the token is hashed, never stored here). */
export async function bodyHash(input: CheckoutInput): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical(input)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A throw a retry can get past (the object reset by a deploy, overloaded, a
 * dropped connection: workerd marks these `retryable` or `overloaded`), as
 * opposed to a bug.
 */
function transient(err: unknown): boolean {
  const e = err as { retryable?: unknown; overloaded?: unknown } | null;
  return e?.retryable === true || e?.overloaded === true || /\breset\b|overloaded|network connection lost|disconnected/i.test(String(err));
}

/** A checkout that may or may not have started: the client retries it with its key, which finds out (replay, 409 or a start). */
function unavailable(requestId: string): CheckoutOutcome {
  return {
    replayed: false,
    requestId,
    result: { ok: false, error: { code: "SERVICE_UNAVAILABLE", detail: "The checkout could not be completed right now; retry with the same Idempotency-Key." } },
  };
}

/**
 * POST /v1/checkout behind the gateway: the user's CartDO decides the
 * idempotency question atomically (replay, 409, 422, or claim the key and
 * snapshot the cart), then a fresh OrderDO runs the saga and, before it
 * answers, hands the final response back to the CartDO for later replays.
 * A CartDO or OrderDO call that throws (an object reset by a deploy, or
 * overloaded) is a 503, not a 500: nothing is lost, and the same key tells
 * the retry what became of it.
 */
export async function checkout(env: OrdersEnv, userId: string, key: string, input: CheckoutInput, requestId: string): Promise<CheckoutOutcome> {
  const hash = await bodyHash(input);
  const cart = env.CART.get(env.CART.idFromName(userId));
  let begun: Awaited<ReturnType<typeof cart.beginCheckout>>;
  try {
    begun = await cart.beginCheckout(key, hash, requestId);
  } catch (err) {
    // A bug is a bug (a 500, reported); what a retry gets past is a 503.
    if (!transient(err)) throw err;
    // Had the key been claimed before the throw, the CartDO's alarm frees it once it is stale (no OrderDO ever started).
    console.error(JSON.stringify({ level: "error", msg: "checkout: claiming the idempotency key failed", error: errorText(err) }));
    return unavailable(requestId);
  }
  if (begun.kind === "refused") return { replayed: false, requestId, result: { ok: false, error: begun.error } };
  if (begun.kind === "replay") return { replayed: true, requestId: begun.requestId, result: begun.result };
  if (begun.kind === "done") return { replayed: false, requestId, result: begun.result };
  const order = env.ORDER.get(env.ORDER.idFromName(begun.orderId));
  try {
    const result = await order.place({
      orderId: begun.orderId,
      paymentId: begun.paymentId,
      userId,
      idempotencyKey: key,
      lines: begun.lines,
      ...(begun.startedCurrency ? { cartCurrency: begun.startedCurrency } : {}),
      checkout: input,
    });
    return { replayed: false, requestId, result };
  } catch (err) {
    // The OrderDO (or the CartDO's alarm, if it never started) finishes or undoes this checkout later.
    console.error(JSON.stringify({ level: "error", msg: "checkout: order saga call failed", orderId: begun.orderId, error: errorText(err) }));
    return unavailable(requestId);
  }
}
