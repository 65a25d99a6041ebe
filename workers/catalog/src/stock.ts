import type { LedgerEntry, StockOutcome, StockSnapshot } from "../../../durable/stock-model.ts";
import { fail, ok, type FieldError, type Result } from "../../../shared/errors.ts";
import type { StockItem } from "../../../shared/schemas/catalog.ts";
import { errorText } from "../../../shared/observability.ts";

/** The StockDO methods the catalog Worker calls (a stub, or a test double around one). */
export interface StockStub {
  reserve(reservationId: string, qty: number, ttlSeconds: number): Promise<StockOutcome<{ expiresAt: number }>>;
  commit(reservationId: string): Promise<StockOutcome<{ changed: boolean; qty: number }>>;
  release(reservationId: string): Promise<StockOutcome<{ changed: boolean }>>;
  undo(reservationId: string, reason: string): Promise<StockOutcome<{ changed: boolean }>>;
  restock(operationId: string, qty: number, reason: string): Promise<StockOutcome<{ changed: boolean }>>;
  adjust(delta: number, reason: string, operationId?: string): Promise<StockOutcome<{ changed: boolean }>>;
  initialise(sku: string, onHand: number, productId: string | null): Promise<StockSnapshot>;
  retire(): Promise<StockSnapshot>;
  snapshot(): Promise<StockSnapshot>;
  ledger(beforeSeq: number | null, limit: number): Promise<LedgerEntry[]>;
}
export type StockOf = (sku: string) => StockStub;

/** Sums duplicate lines and sorts by SKU: the fixed order every multi-SKU hold takes. */
export function normalise(items: StockItem[]): StockItem[] {
  const bySku = new Map<string, number>();
  for (const i of items) bySku.set(i.sku, (bySku.get(i.sku) ?? 0) + i.quantity);
  return [...bySku].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => ({ sku, quantity }));
}

/** One short SKU: the message a person reads, and the same as numbers for a client (never below 0 available). */
function shortage(sku: string, requested: number, available: number): FieldError {
  const left = Math.max(available, 0);
  return { path: sku, message: `${sku}: requested ${requested}, available ${left}`, sku, requested, available: left };
}

/**
 * Releases `skus` for a reservation, logging (not throwing) failures: holds
 * still expire by alarm. False when some release failed, so a hold may remain.
 */
export async function releaseQuietly(stockOf: StockOf, reservationId: string, skus: string[]): Promise<boolean> {
  const released = await Promise.all(
    skus.map((sku) =>
      stockOf(sku)
        .release(reservationId)
        .then(
          () => true,
          (err: unknown) => {
            console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "release failed", sku, reservationId, error: errorText(err) }));
            return false;
          },
        ),
    ),
  );
  return released.every(Boolean);
}

/** A hold this call took may remain (a release failed): the caller must release it again. */
const MAYBE_HELD = "Stock could not be reserved, and a hold may remain until it is released or expires. Try again.";

/**
 * All-or-nothing hold across SKUs: reserves one SKU at a time in SKU order;
 * on the first refusal or throw, releases everything this call touched
 * (including the SKU that threw: its hold may have landed) and reports every
 * short or unknown SKU. A retry with the same id returns the same holds.
 * SERVICE_UNAVAILABLE is the one refusal after which a hold may remain (a
 * release failed too): the caller releases the reservation again. An id
 * another call holds with other quantities is CONFLICT, and nothing is
 * released (those holds are that call's).
 */
export async function reserveAll(stockOf: StockOf, reservationId: string, items: StockItem[], ttlSeconds: number): Promise<Result<{ expiresAt: string }>> {
  const lines = normalise(items);
  if (lines.length === 0 || lines.some((l) => !Number.isInteger(l.quantity) || l.quantity < 1)) {
    return fail("VALIDATION_FAILED", "Every line needs a positive integer quantity.", [{ path: "items", message: "Quantities must be positive integers" }]);
  }
  const touched: string[] = [];
  let expiresAt = Number.POSITIVE_INFINITY;
  let failedAt = -1;
  let refusal: { reason: string; available: number } | null = null;
  try {
    for (const [i, line] of lines.entries()) {
      touched.push(line.sku);
      const r = await stockOf(line.sku).reserve(reservationId, line.quantity, ttlSeconds);
      if (r.ok) {
        expiresAt = Math.min(expiresAt, r.expiresAt);
        continue;
      }
      failedAt = i;
      refusal = r;
      break;
    }
  } catch (err) {
    const released = await releaseQuietly(stockOf, reservationId, touched);
    console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "reserve threw; released", reservationId, released, error: errorText(err) }));
    return fail("SERVICE_UNAVAILABLE", released ? "Stock could not be reserved; nothing is held. Try again." : MAYBE_HELD);
  }
  if (!refusal) return ok({ expiresAt: new Date(expiresAt).toISOString() });
  // Another call holds under this id (a caller's bug, not a retry): its holds are not this call's to release. Any this
  // call added on SKUs that call did not hold expire with their TTL.
  if (refusal.reason === "mismatch") return fail("CONFLICT", "This reservation id was used before with other quantities.");
  if (!(await releaseQuietly(stockOf, reservationId, touched))) return fail("SERVICE_UNAVAILABLE", MAYBE_HELD);
  if (refusal.reason === "closed") return fail("CONFLICT", "This reservation was already released or expired.");
  return explainFailure(stockOf, lines, failedAt, refusal);
}

/** Names every unknown or short SKU: the refused one plus any later one that would also fail. */
async function explainFailure(stockOf: StockOf, lines: StockItem[], failedAt: number, first: { reason: string; available: number }): Promise<Result<never>> {
  const failed = lines[failedAt]!;
  const rest = await Promise.all(lines.slice(failedAt + 1).map((l) => stockOf(l.sku).snapshot().catch(() => null)));
  const unknown = first.reason === "unknown" ? [failed.sku] : [];
  const short = first.reason === "insufficient" ? [shortage(failed.sku, failed.quantity, first.available)] : [];
  rest.forEach((s, i) => {
    const line = lines[failedAt + 1 + i]!;
    if (s && s.status !== "active") unknown.push(line.sku);
    else if (s && s.available < line.quantity) short.push(shortage(line.sku, line.quantity, s.available));
  });
  if (unknown.length > 0) {
    return fail("UNKNOWN_SKU", `Unknown SKU: ${unknown.join(", ")}.`, unknown.map((sku) => ({ path: sku, message: `${sku}: unknown SKU` })));
  }
  return fail("OUT_OF_STOCK", `Not enough stock for ${short.map((s) => s.path).join(", ")}.`, short);
}

/** Live `available` per active SKU; unknown or retired SKUs are absent. */
export async function availability(stockOf: StockOf, skus: string[]): Promise<Record<string, number>> {
  const unique = [...new Set(skus)];
  const snaps = await Promise.all(unique.map((sku) => stockOf(sku).snapshot()));
  return Object.fromEntries(snaps.flatMap((s, i) => (s.status === "active" ? [[unique[i]!, s.available]] : [])));
}
