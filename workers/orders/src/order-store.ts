import type { OrderState, SagaStep } from "./order-state.ts";

/** Creates the OrderDO's table: one row holding the whole saga state as JSON. */
export function migrateOrder(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS order_state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`);
}

/** Reads the persisted state (always from storage, so nothing stale survives a crash or a test's rewrite). */
export function loadState(sql: SqlStorage): OrderState | null {
  const row = sql.exec<{ json: string }>(`SELECT json FROM order_state WHERE id = 1`).toArray()[0];
  return row ? (JSON.parse(row.json) as OrderState) : null;
}

/** Persists the state synchronously; the next remote call happens only after this. */
export function saveState(sql: SqlStorage, s: OrderState): void {
  sql.exec(`INSERT INTO order_state (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json`, JSON.stringify(s));
}

const TERMINAL: ReadonlySet<SagaStep> = new Set(["paid", "failed", "cancelled", "shipped", "delivered"]);

/** True when no saga step is pending (only follow-ups: cart, shipment, outbox). */
export function isSettled(s: OrderState): boolean {
  return TERMINAL.has(s.step);
}

/** A saga holds its state across awaits; follow-ups done meanwhile (flags, delivered version) must not be undone by its save. */
export function keepFollowUps(stored: OrderState | null, next: OrderState): OrderState {
  if (!stored) return next;
  next.cartNotified ||= stored.cartNotified;
  next.shipmentCreated ||= stored.shipmentCreated;
  next.deliveredVersion = Math.max(next.deliveredVersion, stored.deliveredVersion);
  return next;
}
