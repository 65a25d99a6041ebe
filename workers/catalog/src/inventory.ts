import { eq } from "drizzle-orm";
import type { StockSnapshot } from "../../../durable/stock-model.ts";
import type { Database } from "../../../shared/db/client.ts";
import { inventory, variants } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import type { AdjustmentInput, Inventory } from "../../../shared/schemas/catalog.ts";
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

/** Admin adjustment; refused with INSUFFICIENT_STOCK when available would go negative. */
export async function adjustInventory(stockOf: StockOf, db: () => Database, sku: string, input: AdjustmentInput): Promise<Result<StockSnapshot>> {
  if (!(await liveSnapshot(stockOf, db, sku))) return fail("NOT_FOUND", "Unknown SKU.");
  const r = await stockOf(sku).adjust(input.delta, input.reason, newId("adj"));
  if (r.ok) return ok(r.snapshot);
  if (r.reason === "unknown") return fail("NOT_FOUND", "Unknown SKU.");
  return fail("INSUFFICIENT_STOCK", `This adjustment would make available negative (available ${r.available}).`, [
    { path: "delta", message: `available is ${r.available}; delta must be at least ${-r.available}` },
  ]);
}
