import { httpDb } from "../shared/db/http.ts";
import { syncInventory } from "../workers/catalog/src/inventory-sync.ts";
import { readSnapshot } from "./stock-model.ts";
import { errorText } from "../shared/observability.ts";

/**
 * The StockDO's safety net under the durable Postgres inventory record.
 *
 * The catalog Worker writes each change of on hand to Postgres right after
 * the StockDO call (`syncLater`, with its own retries). If that write is lost
 * (Postgres down for longer than the retries, the isolate gone before its
 * `waitUntil` ran), nothing else would repair it until the SKU changed again,
 * and a slow seller may not change for weeks. So every change of on hand also
 * records (table `postgres_copy`, in the same transaction) that Postgres owes a copy up to its
 * ledger seq; the object's alarm writes the copy once it is due, through the
 * same seq-guarded write (a no-op when the catalog's write landed), and
 * clears the debt. A failed copy is tried again with backoff. The write runs
 * in the alarm, after the change's transaction, so no Postgres round trip is
 * ever inside the object's critical section.
 */
/** How long after a change the alarm checks the copy: the catalog's own write and retries are long done by then. */
export const POSTGRES_COPY_DELAY_MS = 60_000;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Records that Postgres owes a copy up to `seq` (call inside the change's
 * transaction). A debt already owed keeps its due time and attempts, so a hot
 * SKU is checked once per delay however often it sells; returns that time.
 */
export function owePostgresCopy(sql: SqlStorage, seq: number, now: number): number {
  return sql
    .exec<{ due_at: number }>(
      "INSERT INTO postgres_copy (id, seq, due_at, attempts) VALUES (1, ?, ?, 0) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq RETURNING due_at",
      seq,
      now + POSTGRES_COPY_DELAY_MS,
    )
    .one().due_at;
}

/** When the owed copy is due (null: nothing owed). */
export function postgresCopyDueAt(sql: SqlStorage): number | null {
  return sql.exec<{ due_at: number }>("SELECT due_at FROM postgres_copy WHERE id = 1").toArray()[0]?.due_at ?? null;
}

/**
 * Writes the current counters to Postgres when a copy is due, then clears
 * the debt, unless a change arrived while the write was in flight (that one's
 * debt stays, due a delay from now). On failure, logs and moves the due time back with backoff.
 */
export async function copyToPostgresIfDue(sql: SqlStorage, env: CatalogEnv, now: number): Promise<void> {
  const owed = sql.exec<{ attempts: number; due_at: number }>("SELECT attempts, due_at FROM postgres_copy WHERE id = 1").toArray()[0];
  if (!owed || owed.due_at > now) return;
  const snapshot = readSnapshot(sql);
  try {
    await syncInventory(httpDb(env), [snapshot]);
    sql.exec("DELETE FROM postgres_copy WHERE id = 1 AND seq <= ?", snapshot.seq);
    // A change that arrived during the write is checked a delay from now, not at once (a hot SKU would copy back to back).
    sql.exec("UPDATE postgres_copy SET due_at = ?, attempts = 0 WHERE id = 1", Date.now() + POSTGRES_COPY_DELAY_MS);
  } catch (err) {
    const attempts = owed.attempts + 1;
    sql.exec("UPDATE postgres_copy SET attempts = ?, due_at = ? WHERE id = 1", attempts, Date.now() + Math.min(MAX_BACKOFF_MS, POSTGRES_COPY_DELAY_MS * 2 ** Math.min(attempts, 10)));
    console.error(JSON.stringify({ level: "error", worker: "catalog/StockDO", msg: "inventory copy to Postgres failed", sku: snapshot.sku, seq: snapshot.seq, attempts, error: errorText(err) }));
  }
}
