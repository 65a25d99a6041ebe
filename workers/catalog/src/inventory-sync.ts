import { sql } from "drizzle-orm";
import type { StockSnapshot } from "../../../durable/stock-model.ts";
import type { HttpDatabase } from "../../../shared/db/http.ts";
import { inventory } from "../../../shared/db/schema/index.ts";
import { errorText } from "../../../shared/observability.ts";

/**
 * Writes StockDO snapshots to the durable Postgres inventory record. Runs
 * after the DO call returned (through `ctx.waitUntil`), never inside the DO's
 * critical section, as one batch (one fetch on the HTTP query path). The
 * `seq` guard keeps a late or reordered write from overwriting a newer one;
 * a lost write is repaired by the StockDO's alarm (durable/stock-postgres-copy.ts).
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

/** Pauses before the second and third attempt of a sync that failed. */
const SYNC_RETRY_DELAYS_MS = [100, 1000] as const;

/**
 * Schedules `syncInventory` after the response. A failed write (the HTTP
 * query path is a network hop) is tried again after each of SYNC_RETRY_DELAYS_MS; the
 * `seq` guard makes a repeat harmless. A sync that still fails is logged with
 * its cause; the StockDO's alarm writes the copy a minute after the change.
 */
export function syncLater(waitUntil: (p: Promise<unknown>) => void, db: () => HttpDatabase, snapshots: StockSnapshot[]): void {
  if (snapshots.length === 0) return;
  waitUntil(
    withRetries(() => syncInventory(db(), snapshots), SYNC_RETRY_DELAYS_MS).catch((err: unknown) =>
      console.error(
        JSON.stringify({ level: "error", worker: "catalog", msg: "inventory sync failed", attempts: SYNC_RETRY_DELAYS_MS.length + 1, skus: snapshots.map((s) => s.sku), error: errorText(err) }),
      ),
    ),
  );
}

/** `attempt`, tried again after each pause in `delaysMs` while it throws; the last error is thrown. */
export async function withRetries<T>(attempt: () => Promise<T>, delaysMs: readonly number[]): Promise<T> {
  for (const delay of delaysMs) {
    try {
      return await attempt();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return attempt();
}
