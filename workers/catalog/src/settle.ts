import type { StockOutcome, StockSnapshot } from "../../../durable/stock-model.ts";
import { fail, ok, orPreviousRelease, type FieldError, type Result } from "../../../shared/errors.ts";
import type { StockItem } from "../../../shared/schemas/catalog.ts";
import { normalise, type StockOf, type StockStub } from "./stock.ts";

/** A settled multi-SKU operation and the snapshots Postgres must learn about. */
export interface Settled {
  result: Result<null>;
  changed: StockSnapshot[];
}

/**
 * Sells the holds of a reservation. Retries change nothing. If some SKU
 * cannot be committed (its hold was released, or expired and the units are
 * gone), every SKU of the reservation is taken back (`undo`): the sales this
 * call or an earlier attempt made are returned to stock and the reservation
 * is closed on every SKU, so a failed commit never leaves a partial sale and
 * a later retry can not sell what was given back. A commit that threw (with
 * none refused) is rethrown for the caller to retry: the sales made so far
 * are found committed by the retry.
 */
export async function commitAll(stockOf: StockOf, reservationId: string, skus: string[]): Promise<Settled> {
  const unique = [...new Set(skus)].sort();
  const results = await Promise.allSettled(unique.map((sku) => stockOf(sku).commit(reservationId)));
  const problems: FieldError[] = [];
  const changed: StockSnapshot[] = [];
  let thrown: unknown = null;
  results.forEach((settled, i) => {
    const sku = unique[i]!;
    if (settled.status === "rejected") {
      thrown ??= settled.reason;
      return;
    }
    const r = settled.value;
    if (!r.ok) {
      const left = r.reason === "insufficient" ? Math.max(r.available, 0) : undefined;
      problems.push({ path: sku, message: `${sku}: ${left === undefined ? `no live hold (${r.reason})` : `hold expired, available ${left}`}`, sku, ...(left === undefined ? {} : { available: left }) });
    }
    else if (r.changed) changed.push(r.snapshot);
  });
  if (problems.length === 0) {
    if (thrown !== null) throw thrown;
    return { result: ok(null), changed };
  }
  const sold = (i: number) => {
    const r = results[i]!;
    return r.status === "fulfilled" && r.value.ok ? r.value.qty : null;
  };
  const undone = await Promise.all(unique.map((sku, i) => undo(stockOf(sku), reservationId, "commit undone: another SKU failed", sold(i))));
  for (const r of undone) if (r.ok && r.changed) changed.push(r.snapshot);
  return { result: fail("OUT_OF_STOCK", `Reservation ${reservationId} could not be committed.`, problems), changed };
}

/**
 * `stub.undo`, or on a StockDO of the release before (a rollout under way)
 * what that release did: a sale this reservation made (`sold` units) is
 * returned once (restock by `<reservationId>:undo`), a hold is released.
 */
async function undo(stub: StockStub, reservationId: string, reason: string, sold: number | null): Promise<StockOutcome<{ changed: boolean }>> {
  return orPreviousRelease(
    "undo",
    () => stub.undo(reservationId, reason),
    async () => (sold === null ? stub.release(reservationId) : stub.restock(`${reservationId}:undo`, sold, reason)),
  );
}

/** Releases the holds of a reservation on every SKU; idempotent. `changed` says whether any hold was given back. */
export async function releaseAll(stockOf: StockOf, reservationId: string, skus: string[]): Promise<{ result: Result<null>; changed: boolean }> {
  const results = await Promise.all([...new Set(skus)].map((sku) => stockOf(sku).release(reservationId)));
  return { result: ok(null), changed: results.some((r) => r.ok && r.changed) };
}

/** Returns sold units to stock once per operation id (a cancelled order). */
export async function restockAll(stockOf: StockOf, operationId: string, items: StockItem[], reason: string): Promise<Settled> {
  const lines = normalise(items);
  const results = await Promise.all(lines.map((l) => stockOf(l.sku).restock(operationId, l.quantity, reason)));
  const changed: StockSnapshot[] = [];
  const unknown: string[] = [];
  const refused: FieldError[] = [];
  results.forEach((r, i) => {
    const line = lines[i]!;
    if (r.ok) {
      if (r.changed) changed.push(r.snapshot);
    } else if (r.reason === "unknown") unknown.push(line.sku);
    else if (r.reason === "mismatch") refused.push({ path: line.sku, message: `${line.sku}: operation ${operationId} returned another quantity before` });
    else refused.push({ path: line.sku, message: `${line.sku}: cannot return ${line.quantity} units that were not sold` });
  });
  if (unknown.length > 0) return { result: fail("UNKNOWN_SKU", `Unknown SKU: ${unknown.join(", ")}.`), changed };
  if (refused.length > 0) return { result: fail("CONFLICT", "Some units were not sold and cannot be returned.", refused), changed };
  return { result: ok(null), changed };
}
