import { fail, IN_PROGRESS_RETRY_AFTER_SECONDS, type DomainError, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import type { CheckoutLine } from "../../../shared/schemas/cart.ts";
import type { Order } from "../../../shared/schemas/orders.ts";
import { readLines, setLineQuantity, startedCurrency, touch } from "./cart-store.ts";

/** Idempotency records are kept this long (the API promises at least 24 h). */
export const IDEMPOTENCY_KEEP_MS = 48 * 60 * 60 * 1000;
/** An in-flight checkout older than this is asked about by the CartDO's alarm (its OrderDO may be gone). */
export const IN_FLIGHT_STALE_MS = 60_000;

/**
 * How long a checkout waits for another key's checkout of the same cart to
 * finish before it gives up with 409 CONFLICT. Checkouts of one cart run one
 * at a time: the second then sees the cart the first left (usually empty,
 * so 409 CART_EMPTY; after a failed first, the same lines).
 */
export const CART_BUSY_WAIT_MS = 10_000;

/** What `CartDO.beginCheckout` answers, atomically, for one (user, key). */
export type BeginCheckout =
  | { kind: "refused"; error: DomainError }
  | { kind: "replay"; requestId: string; result: Result<Order> }
  | { kind: "done"; requestId: string; result: Result<Order> }
  | { kind: "start"; orderId: string; paymentId: string; lines: CheckoutLine[]; startedCurrency?: string };

/**
 * What `beginCheckout` (the function) decides: one of the answers, or "busy"
 * while another key's checkout of this cart runs. The CartDO waits out a
 * busy cart and never answers "busy": after `CART_BUSY_WAIT_MS` it refuses
 * with `busyRefusal`.
 */
export type BeginDecision = BeginCheckout | { kind: "busy" };

/** The answer to a key that waited `CART_BUSY_WAIT_MS` for another checkout of its cart. */
export const busyRefusal: BeginCheckout = {
  kind: "refused",
  error: fail("CONFLICT", "Another checkout of this cart is still in progress; retry once it has finished.").error,
};

interface RecordRow extends Record<string, SqlStorageValue> {
  key: string;
  body_hash: string;
  state: string;
  order_id: string | null;
  request_id: string;
  response: string | null;
  created_at: number;
}

function record(sql: SqlStorage, key: string): RecordRow | undefined {
  return sql.exec<RecordRow>(`SELECT * FROM idempotency WHERE key = ?`, key).toArray()[0];
}

/**
 * Stripe's semantics in one synchronous read-check-write (no await, so no
 * other request interleaves): a finished key replays, a different body is 422,
 * a running key is 409 (with `retry-after`) and nothing is stored; otherwise the key is claimed
 * (in flight) and the cart lines are snapshotted for the saga. One checkout
 * runs per cart at a time, so two keys can not buy the same cart twice: while
 * one runs, another key gets "busy", which the CartDO turns into a wait
 * (`CART_BUSY_WAIT_MS`).
 */
export function beginCheckout(sql: SqlStorage, key: string, bodyHash: string, requestId: string, now: number): BeginDecision {
  sql.exec(`DELETE FROM idempotency WHERE state = 'done' AND created_at < ?`, now - IDEMPOTENCY_KEEP_MS);
  const existing = record(sql, key);
  if (existing) {
    if (existing.body_hash !== bodyHash) {
      return { kind: "refused", error: fail("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request body.").error };
    }
    if (existing.state !== "done" || existing.response === null) {
      // With `retry-after`: the checkout usually ends within a second, and the same key then gets its answer (a replay).
      const error = fail("IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still being processed; send it again in a moment for its answer.").error;
      return { kind: "refused", error: { ...error, retryAfterSeconds: IN_PROGRESS_RETRY_AFTER_SECONDS } };
    }
    return { kind: "replay", requestId: existing.request_id, result: JSON.parse(existing.response) as Result<Order> };
  }
  const running = sql.exec(`SELECT key FROM idempotency WHERE state = 'in_flight' LIMIT 1`).toArray()[0];
  if (running) return { kind: "busy" };
  const lines = readLines(sql);
  if (lines.length === 0) {
    const result = fail("CART_EMPTY", "The cart is empty.");
    sql.exec(
      `INSERT INTO idempotency (key, body_hash, state, order_id, request_id, response, created_at, updated_at) VALUES (?, ?, 'done', NULL, ?, ?, ?, ?)`,
      key, bodyHash, requestId, JSON.stringify(result), now, now,
    );
    return { kind: "done", requestId, result };
  }
  const orderId = newId("ord", now);
  sql.exec(
    `INSERT INTO idempotency (key, body_hash, state, order_id, request_id, response, created_at, updated_at) VALUES (?, ?, 'in_flight', ?, ?, NULL, ?, ?)`,
    key, bodyHash, orderId, requestId, now, now,
  );
  touch(sql, now);
  return { kind: "start", orderId, paymentId: newId("pay", now), lines, startedCurrency: startedCurrency(sql) };
}

/**
 * Stores a checkout's final response for replay. A paid order also takes
 * its lines out of the cart (by quantity, so a line added meanwhile
 * survives). A `SERVICE_UNAVAILABLE` outcome (the saga was interrupted and
 * compensated, nothing charged) frees the key instead, so the client can
 * retry with it. Idempotent: a second call changes nothing.
 */
export function completeCheckout(sql: SqlStorage, key: string, orderId: string, result: Result<Order>, now: number): void {
  const existing = record(sql, key);
  if (!existing || existing.order_id !== orderId || existing.state === "done") return;
  if (!result.ok && result.error.code === "SERVICE_UNAVAILABLE") {
    sql.exec(`DELETE FROM idempotency WHERE key = ?`, key);
    return;
  }
  sql.exec(`UPDATE idempotency SET state = 'done', response = ?, updated_at = ? WHERE key = ?`, JSON.stringify(result), now, key);
  if (result.ok) {
    const current = new Map(readLines(sql).map((l) => [l.sku, l.quantity]));
    for (const item of result.value.items) {
      const have = current.get(item.sku);
      if (have !== undefined) setLineQuantity(sql, item.sku, have - item.quantity);
    }
  }
  touch(sql, now);
}

/** In-flight checkouts started before `before`: the alarm asks their OrderDOs to finish them. */
export function staleInFlight(sql: SqlStorage, before: number): { key: string; orderId: string }[] {
  return sql
    .exec<{ key: string; order_id: string }>(`SELECT key, order_id FROM idempotency WHERE state = 'in_flight' AND created_at < ?`, before)
    .toArray()
    .map((r) => ({ key: r.key, orderId: r.order_id }));
}

/** The oldest in-flight checkout's start time, to schedule the stale check. */
export function oldestInFlight(sql: SqlStorage): number | undefined {
  const row = sql.exec<{ t: number | null }>(`SELECT min(created_at) AS t FROM idempotency WHERE state = 'in_flight'`).toArray()[0];
  return row?.t ?? undefined;
}

/** Frees a key whose OrderDO never started (nothing was reserved or charged). */
export function dropInFlight(sql: SqlStorage, key: string, orderId: string): void {
  sql.exec(`DELETE FROM idempotency WHERE key = ? AND order_id = ? AND state = 'in_flight'`, key, orderId);
}
