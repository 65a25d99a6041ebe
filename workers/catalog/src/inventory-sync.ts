import { sql } from "drizzle-orm";
import type { StockSnapshot } from "../../../durable/stock-model.ts";
import type { HttpDatabase } from "../../../shared/db/http.ts";
import { inventory } from "../../../shared/db/schema/index.ts";

/**
 * Writes StockDO snapshots to the durable Postgres inventory record. Runs
 * after the DO call returned (through `ctx.waitUntil`), never inside the DO's
 * critical section, as one batch (one fetch on the HTTP query path). The
 * `seq` guard keeps a late or reordered write from overwriting a newer one;
 * a lost write is repaired by the next change.
 */
export async function syncInventory(db: HttpDatabase, snapshots: StockSnapshot[]): Promise<void> {
  const updates = snapshots
    .filter((s) => s.sku && s.status !== "uninitialised")
    .map((s) =>
      db
        .update(inventory)
        .set({ onHand: s.onHand, sold: s.sold, adjusted: s.adjusted, initial: s.initial, seq: s.seq, updatedAt: new Date() })
        .where(sql`${inventory.sku} = ${s.sku} AND ${inventory.seq} < ${s.seq}`),
    );
  const [first, ...rest] = updates;
  if (first) await db.batch([first, ...rest]);
}

/** Schedules `syncInventory` after the response; failures are logged, not surfaced. */
export function syncLater(waitUntil: (p: Promise<unknown>) => void, db: () => HttpDatabase, snapshots: StockSnapshot[]): void {
  if (snapshots.length === 0) return;
  waitUntil(
    syncInventory(db(), snapshots).catch((err: unknown) =>
      console.error(JSON.stringify({ level: "error", worker: "catalog", msg: "inventory sync failed", skus: snapshots.map((s) => s.sku), error: String(err) })),
    ),
  );
}
