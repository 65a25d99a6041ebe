/**
 * Storage layout and RPC result types of StockDO, kept apart from the class
 * so callers (the catalog Worker, tests) import types without the runtime.
 */

/**
 * The ledger kinds that move `available` only. A closed hold's entries net to
 * nothing on hand, so they are kept as long as the closed reservation (for
 * retries) and then purged; the kinds that move `onHand` (init, adjust,
 * commit, restock) are kept for good, so the ledger still adds up to the
 * counters. The partial index `ledger_holds` is over the same expression, so
 * SQLite can use it for the purge.
 */
export const HOLD_KINDS = "kind IN ('reserve', 'release', 'expire')";

/**
 * Created in the constructor; `IF NOT EXISTS` makes every start idempotent.
 * `stock.reserved` is the sum of live holds, kept by every change so a
 * reservation costs O(1) however many holds are live (STOCK_UPGRADES adds it
 * to objects created before it existed).
 */
export const STOCK_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS stock (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     sku TEXT NOT NULL,
     product_id TEXT,
     initial INTEGER NOT NULL,
     on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
     sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
     adjusted INTEGER NOT NULL DEFAULT 0,
     retired INTEGER NOT NULL DEFAULT 0,
     reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0)
   )`,
  `CREATE TABLE IF NOT EXISTS reservations (
     id TEXT PRIMARY KEY,
     qty INTEGER NOT NULL CHECK (qty >= 0),
     expires_at INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released', 'expired')),
     closed_at INTEGER
   )`,
  `CREATE INDEX IF NOT EXISTS reservations_held ON reservations (state, expires_at)`,
  // The alarm's purge of closed rows past their keep time reads only those rows: without these two
  // indexes, every alarm run scanned the week of reservations and operations the object keeps.
  `CREATE INDEX IF NOT EXISTS reservations_closed ON reservations (closed_at) WHERE state != 'held'`,
  // `body`: what an admin adjustment sent under its Idempotency-Key (null for other operations), to tell a retry from a reuse.
  `CREATE TABLE IF NOT EXISTS operations (id TEXT PRIMARY KEY, at INTEGER NOT NULL, body TEXT)`,
  `CREATE INDEX IF NOT EXISTS operations_at ON operations (at)`,
  `CREATE TABLE IF NOT EXISTS ledger (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     delta INTEGER NOT NULL,
     reason TEXT NOT NULL,
     ref TEXT,
     at INTEGER NOT NULL
   )`,
  // The alarm's purge of old hold entries reads only them, not the sales and adjustments kept for good.
  `CREATE INDEX IF NOT EXISTS ledger_holds ON ledger (at) WHERE ${HOLD_KINDS}`,
  // The copy of the counters Postgres is owed, up to ledger `seq`, and when the alarm writes it (stock-postgres-copy.ts).
  `CREATE TABLE IF NOT EXISTS postgres_copy (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     seq INTEGER NOT NULL,
     due_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0
   )`,
];

/** Schema changes for objects created by an older version, each applied once, in order. */
export const STOCK_UPGRADES: { applies: (sql: SqlStorage) => boolean; statements: string[] }[] = [
  {
    applies: (sql) => !sql.exec<{ name: string }>("PRAGMA table_info(stock)").toArray().some((c) => c.name === "reserved"),
    statements: [
      "ALTER TABLE stock ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0)",
      "UPDATE stock SET reserved = (SELECT coalesce(sum(qty), 0) FROM reservations WHERE state = 'held')",
    ],
  },
  {
    applies: (sql) => !sql.exec<{ name: string }>("PRAGMA table_info(operations)").toArray().some((c) => c.name === "body"),
    statements: ["ALTER TABLE operations ADD COLUMN body TEXT"],
  },
];

/**
 * Run at every start: recomputes `reserved` from the held reservations. An
 * older version (before the counter existed) may have run this object in
 * between, e.g. after a rollback, and it would not have kept the counter.
 * One pass over the live holds per activation is cheap; a wrong count is not.
 */
export const RECONCILE_RESERVED = `UPDATE stock SET reserved = held.n
  FROM (SELECT coalesce(sum(qty), 0) AS n FROM reservations WHERE state = 'held') AS held
  WHERE stock.id = 1 AND stock.reserved != held.n`;

export type StockRow = {
  id: number;
  sku: string;
  product_id: string | null;
  initial: number;
  on_hand: number;
  sold: number;
  adjusted: number;
  retired: number;
  reserved: number;
};

export type ReservationRow = {
  id: string;
  qty: number;
  expires_at: number;
  state: "held" | "committed" | "released" | "expired";
  closed_at: number | null;
};

/**
 * Ledger kinds. `delta` is the change of on_hand for init/adjust/commit/restock
 * and the change of `available` for reserve/release/expire.
 */
export type LedgerKind = "init" | "adjust" | "reserve" | "commit" | "release" | "expire" | "restock";

/** One ledger entry as StockDO reports it (`ledger`), newest first. */
export type LedgerEntry = {
  seq: number;
  kind: LedgerKind;
  delta: number;
  reason: string;
  /** The reservation or operation the change belongs to (null for the initial stock). */
  ref: string | null;
  /** Epoch milliseconds. */
  at: number;
};

/** Entries older than `beforeSeq` (all when null), newest first, at most `limit`. */
export function readLedger(sql: SqlStorage, beforeSeq: number | null, limit: number): LedgerEntry[] {
  return sql.exec<LedgerEntry>("SELECT seq, kind, delta, reason, ref, at FROM ledger WHERE seq < ? ORDER BY seq DESC LIMIT ?", beforeSeq ?? Number.MAX_SAFE_INTEGER, limit).toArray();
}

export interface StockSnapshot {
  sku: string | null;
  productId: string | null;
  status: "uninitialised" | "active" | "retired";
  onHand: number;
  reserved: number;
  available: number;
  sold: number;
  initial: number;
  adjusted: number;
  /** Last ledger sequence number: orders Postgres writes of this SKU. */
  seq: number;
}

/**
 * Why a stock operation was refused. `closed`: the reservation was released
 * or expired. `mismatch`: the operation id was used before with other values.
 */
export type StockRefusal = "unknown" | "insufficient" | "closed" | "mismatch";

export type StockOutcome<T> = ({ ok: true; snapshot: StockSnapshot } & T) | { ok: false; reason: StockRefusal; available: number };

export function readStock(sql: SqlStorage): StockRow | null {
  return sql.exec<StockRow>("SELECT * FROM stock WHERE id = 1").toArray()[0] ?? null;
}

export function readReservation(sql: SqlStorage, id: string): ReservationRow | null {
  return sql.exec<ReservationRow>("SELECT * FROM reservations WHERE id = ?", id).toArray()[0] ?? null;
}

/** The counters as StockDO reports them (due holds must have been expired first). */
export function readSnapshot(sql: SqlStorage): StockSnapshot {
  const seq = sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM ledger").one().seq ?? 0;
  return snapshotOf(readStock(sql), seq);
}

/** The snapshot of a stock row and the ledger's last sequence number. */
export function snapshotOf(s: StockRow | null, seq: number): StockSnapshot {
  if (!s) return { sku: null, productId: null, status: "uninitialised", onHand: 0, reserved: 0, available: 0, sold: 0, initial: 0, adjusted: 0, seq };
  const reserved = s.reserved;
  return {
    sku: s.sku,
    productId: s.product_id,
    status: s.retired ? "retired" : "active",
    onHand: s.on_hand,
    reserved,
    available: s.on_hand - reserved,
    sold: s.sold,
    initial: s.initial,
    adjusted: s.adjusted,
    seq,
  };
}
