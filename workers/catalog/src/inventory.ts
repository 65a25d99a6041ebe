import { and, eq, isNull } from "drizzle-orm";
import type { StockSnapshot } from "../../../durable/stock-model.ts";
import type { Database } from "../../../shared/db/client.ts";
import { inventory, products, variants } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import { decodeSequenceCursor, encodeSequenceCursor, type Page } from "../../../shared/pagination.ts";
import type { AdjustmentInput, Inventory, InventoryLedgerEntry } from "../../../shared/schemas/catalog.ts";
import type { StockOf } from "./stock.ts";

export function toInventory(s: StockSnapshot, sku: string): Inventory {
  return { sku, onHand: s.onHand, reserved: s.reserved, available: s.available };
}

/**
 * The live snapshot of a SKU, or null when it is unknown or retired. A
 * StockDO Postgres knows about but that never got initialised is healed here.
 */
export async function liveSnapshot(stockOf: StockOf, db: () => Database, sku: string): Promise<StockSnapshot | null> {
  const s = await stockOf(sku).snapshot();
  if (s.status === "active") return s;
  if (s.status === "retired") return null;
  const [row] = await db()
    .select({ initial: inventory.initial, productId: variants.productId })
    .from(inventory)
    .innerJoin(variants, eq(variants.sku, inventory.sku))
    // A deleted product's SKU stays unknown, even when its StockDO was never initialised (so never retired).
    .innerJoin(products, and(eq(products.id, variants.productId), isNull(products.deletedAt)))
    .where(eq(inventory.sku, sku))
    .limit(1);
  if (!row) return null;
  return stockOf(sku).initialise(sku, row.initial, row.productId);
}

/** GET /v1/inventory/{sku}: live counts from the StockDO. */
export async function getInventory(stockOf: StockOf, db: () => Database, sku: string): Promise<Result<Inventory>> {
  const s = await liveSnapshot(stockOf, db, sku);
  return s ? ok(toInventory(s, sku)) : fail("NOT_FOUND", "Unknown SKU.");
}

/**
 * Admin adjustment; refused with INSUFFICIENT_STOCK when available would go
 * negative. With `operationKey` (the admin's Idempotency-Key, scoped to the
 * admin) it happens once: a retry answers the stock as it is now and
 * `replayed`, the same key with another body IDEMPOTENCY_KEY_REUSED.
 */
export async function adjustInventory(stockOf: StockOf, db: () => Database, sku: string, input: AdjustmentInput, operationKey?: string): Promise<Result<{ snapshot: StockSnapshot; replayed: boolean }>> {
  if (!(await liveSnapshot(stockOf, db, sku))) return fail("NOT_FOUND", "Unknown SKU.");
  const r = await stockOf(sku).adjust(input.delta, input.reason, operationKey === undefined ? newId("adj") : `adj:${operationKey}`);
  if (r.ok) return ok({ snapshot: r.snapshot, replayed: !r.changed });
  if (r.reason === "unknown") return fail("NOT_FOUND", "Unknown SKU.");
  if (r.reason === "mismatch") return fail("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for another adjustment of this SKU.");
  return fail("INSUFFICIENT_STOCK", `This adjustment would make available negative (available ${r.available}).`, [
    { path: "delta", message: `available is ${r.available}; delta must be at least ${-r.available}` },
  ]);
}

/**
 * GET /v1/inventory/{sku}/ledger: the SKU's stock ledger, newest first
 * (keyset on the ledger's sequence, so pages stay stable while it grows).
 * A StockDO of the release before this one has no ledger method: the error
 * reaches the gateway, which answers 503 until the rollout completes (app.ts).
 */
export async function getInventoryLedger(stockOf: StockOf, db: () => Database, sku: string, query: { limit: number; cursor?: string | undefined }): Promise<Result<Page<InventoryLedgerEntry>>> {
  const before = query.cursor === undefined ? null : decodeSequenceCursor(query.cursor, sku);
  if (before === null && query.cursor !== undefined) return fail("VALIDATION_FAILED", "Invalid cursor.", [{ path: "cursor", message: "Invalid cursor" }]);
  if (!(await liveSnapshot(stockOf, db, sku))) return fail("NOT_FOUND", "Unknown SKU.");
  const rows = await stockOf(sku).ledger(before, query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return ok({
    items: items.map((e) => ({ seq: e.seq, kind: e.kind, delta: e.delta, reason: e.reason, reference: e.ref, at: new Date(e.at).toISOString() })),
    nextCursor: rows.length > query.limit && last ? encodeSequenceCursor(last.seq, sku) : null,
  });
}
