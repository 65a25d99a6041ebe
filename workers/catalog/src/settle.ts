import type { StockSnapshot } from "../../../durable/stock-model.ts";
import { fail, ok, type FieldError, type Result } from "../../../shared/errors.ts";
import type { StockItem } from "../../../shared/schemas/catalog.ts";
import { normalise, type StockOf } from "./stock.ts";

/** A settled multi-SKU operation and the snapshots Postgres must learn about. */
export interface Settled {
  result: Result<null>;
  changed: StockSnapshot[];
}

/**
 * Sells the holds of a reservation. Retries change nothing. If some SKU
 * cannot be committed (its hold was released, or expired and the units are
 * gone), the SKUs this call did commit are put back (restock, idempotent by
 * `<reservationId>:undo`), so a failed commit never leaves a partial sale.
 */
export async function commitAll(stockOf: StockOf, reservationId: string, skus: string[]): Promise<Settled> {
  const unique = [...new Set(skus)].sort();
  const results = await Promise.all(unique.map((sku) => stockOf(sku).commit(reservationId)));
  const problems: FieldError[] = [];
  const changed: { sku: string; qty: number; snapshot: StockSnapshot }[] = [];
  results.forEach((r, i) => {
    const sku = unique[i]!;
    if (!r.ok) problems.push({ path: sku, message: `${sku}: ${r.reason === "insufficient" ? `hold expired, available ${r.available}` : `no live hold (${r.reason})`}` });
    else if (r.changed) changed.push({ sku, qty: r.qty, snapshot: r.snapshot });
  });
  if (problems.length === 0) return { result: ok(null), changed: changed.map((c) => c.snapshot) };
  const undone = await Promise.all(
    changed.map(async (c) => {
      const r = await stockOf(c.sku).restock(`${reservationId}:undo`, c.qty, "commit undone: another SKU failed");
      return r.ok ? r.snapshot : c.snapshot;
    }),
  );
  return { result: fail("OUT_OF_STOCK", `Reservation ${reservationId} could not be committed.`, problems), changed: undone };
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
    else refused.push({ path: line.sku, message: `${line.sku}: cannot return ${line.quantity} units that were not sold` });
  });
  if (unknown.length > 0) return { result: fail("UNKNOWN_SKU", `Unknown SKU: ${unknown.join(", ")}.`), changed };
  if (refused.length > 0) return { result: fail("CONFLICT", "Some units were not sold and cannot be returned.", refused), changed };
  return { result: ok(null), changed };
}
