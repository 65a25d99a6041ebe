import type { StockStub } from "./stock.ts";

/**
 * `available` per SKU for product reads, kept in this isolate for the read
 * AVAILABLE_TTL_MS. A product list of 20 items would otherwise ask 60
 * StockDOs on every miss of the gateway's cache. Every stock change made through this isolate
 * (reserve, commit, release, restock, adjust, initialise, retire) drops its
 * SKU at once, and a snapshot that was in flight across such a change is not
 * stored; changes made elsewhere (another isolate, an expiry alarm) show
 * within AVAILABLE_TTL_MS. Carts and checkout never read this: they ask the
 * StockDO.
 */

/**
 * How long a read `available` is reused. Longer than the document TTL on
 * purpose: browsing touches every SKU of every listed product, and a StockDO
 * that has gone idle costs an activation to ask. Changes through this isolate
 * are seen at once regardless; only changes made elsewhere wait this long.
 */
export const AVAILABLE_TTL_MS = 10_000;
const MAX_ENTRIES = 20_000;
const entries = new Map<string, { available: number; at: number }>();
const changedAt = new Map<string, number>();
/** When `changedAt` was last emptied: a read started before that cannot tell whether its SKU moved. */
let changesForgottenAt = 0;
let clock = 0;

/** The remembered `available` of `sku` if younger than `ttlMs`. */
export function rememberedAvailable(sku: string, ttlMs: number): number | undefined {
  const e = entries.get(sku);
  return e && Date.now() - e.at < ttlMs ? e.available : undefined;
}

/** A token to pass to `remember`: taken before reading the StockDO. */
export function readStarted(): number {
  return ++clock;
}

export function remember(sku: string, available: number, started: number, at = Date.now()): void {
  if (Math.max(changedAt.get(sku) ?? 0, changesForgottenAt) > started) return; // the stock moved (or may have) while we were reading
  if (entries.size >= MAX_ENTRIES) entries.clear();
  entries.set(sku, { available, at });
}

export function forget(sku: string): void {
  entries.delete(sku);
  if (changedAt.size >= MAX_ENTRIES) {
    changedAt.clear();
    changesForgottenAt = ++clock;
  }
  changedAt.set(sku, ++clock);
}

/** `stub` whose changing calls drop `sku` from the memo when they settle. */
export function forgettingChanges(sku: string, stub: StockStub): StockStub {
  const after = <T>(p: Promise<T>): Promise<T> => Promise.resolve(p).finally(() => forget(sku));
  return {
    reserve: (id, qty, ttl) => after(stub.reserve(id, qty, ttl)),
    commit: (id) => after(stub.commit(id)),
    release: (id) => after(stub.release(id)),
    undo: (id, reason) => after(stub.undo(id, reason)),
    restock: (op, qty, reason) => after(stub.restock(op, qty, reason)),
    adjust: (delta, reason, op) => after(stub.adjust(delta, reason, op)),
    initialise: (s, onHand, productId) => after(stub.initialise(s, onHand, productId)),
    retire: () => after(stub.retire()),
    snapshot: () => stub.snapshot(),
    ledger: (before, limit) => stub.ledger(before, limit),
  };
}
