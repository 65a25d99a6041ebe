import type { Cart, CartVariant, CheckoutLine } from "../../../shared/schemas/cart.ts";
import { newId } from "../../../shared/ids.ts";

/** Carts idle this long are emptied by the CartDO's alarm. */
export const CART_IDLE_MS = 30 * 24 * 60 * 60 * 1000;
/** The currency an empty cart reports (one currency per cart, set by its first line). */
export const DEFAULT_CURRENCY = "USD";
// Defined with the cart's schemas: the shipping preview's weight cap is derived from them too.
export { MAX_LINE_QUANTITY, MAX_LINES } from "../../../shared/schemas/cart.ts";

/** How many lines (different SKUs) the cart holds. */
export function lineCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>(`SELECT count(*) AS n FROM lines`).one().n;
}

interface LineRow extends Record<string, SqlStorageValue> {
  sku: string;
  product_id: string;
  title: string;
  quantity: number;
  unit_amount: number;
  currency: string;
  weight_grams: number;
}

/** Creates the CartDO's tables; run once per instance under blockConcurrencyWhile. */
export function migrateCart(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS lines (
    sku TEXT PRIMARY KEY, product_id TEXT NOT NULL, title TEXT NOT NULL, quantity INTEGER NOT NULL,
    unit_amount INTEGER NOT NULL, currency TEXT NOT NULL, weight_grams INTEGER NOT NULL, pos INTEGER NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, state TEXT NOT NULL, order_id TEXT,
    request_id TEXT NOT NULL, response TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
  // Claiming a key, scheduling the alarm and pruning look up records by state and age: without this,
  // each checkout scanned every record of the last 48 h (4 scans, stored responses included).
  sql.exec(`CREATE INDEX IF NOT EXISTS idempotency_state ON idempotency (state, created_at)`);
}

function meta(sql: SqlStorage, k: string): string | undefined {
  const row = sql.exec<{ v: string }>(`SELECT v FROM meta WHERE k = ?`, k).toArray()[0];
  return row?.v;
}

function setMeta(sql: SqlStorage, k: string, v: string): void {
  sql.exec(`INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, k, v);
}

/** The cart's id, created on first use so it stays the same for the user's whole life. */
export function cartId(sql: SqlStorage, now: number): string {
  const id = meta(sql, "id");
  if (id) return id;
  const fresh = newId("cart", now);
  setMeta(sql, "id", fresh);
  setMeta(sql, "updated_at", String(now));
  return fresh;
}

/** Records activity: `updatedAt` of the cart and the start of its idle window. */
export function touch(sql: SqlStorage, now: number): void {
  cartId(sql, now);
  setMeta(sql, "updated_at", String(now));
}

export function lastActivity(sql: SqlStorage): number {
  return Number(meta(sql, "updated_at") ?? 0);
}

/**
 * When the cart last changed for its owner: their last activity, or a later
 * reprice that changed what a line costs (`refreshLines`), so a client that
 * compares `updatedAt` with what it showed notices a new price too. Kept apart
 * from `updated_at` because that one also starts the idle window: a price
 * change is no sign of life, and must not keep an abandoned cart.
 */
function lastChange(sql: SqlStorage): number {
  return Math.max(lastActivity(sql), Number(meta(sql, "repriced_at") ?? 0));
}

export function readLines(sql: SqlStorage): CheckoutLine[] {
  return sql.exec<LineRow>(`SELECT * FROM lines ORDER BY pos`).toArray().map((r) => ({
    sku: r.sku,
    productId: r.product_id,
    title: r.title,
    quantity: r.quantity,
    unitPrice: { amount: r.unit_amount, currency: r.currency },
    weightGrams: r.weight_grams,
  }));
}

export function lineQuantity(sql: SqlStorage, sku: string): number | undefined {
  return sql.exec<{ quantity: number }>(`SELECT quantity FROM lines WHERE sku = ?`, sku).toArray()[0]?.quantity;
}

/** Inserts or replaces a line with a fresh price snapshot; keeps its position when it exists. */
export function upsertLine(sql: SqlStorage, v: CartVariant, quantity: number): void {
  sql.exec(
    `INSERT INTO lines (sku, product_id, title, quantity, unit_amount, currency, weight_grams, pos)
     VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(pos), 0) + 1 FROM lines))
     ON CONFLICT (sku) DO UPDATE SET product_id = excluded.product_id, title = excluded.title, quantity = excluded.quantity,
       unit_amount = excluded.unit_amount, currency = excluded.currency, weight_grams = excluded.weight_grams`,
    v.sku, v.productId, v.title, quantity, v.price.amount, v.price.currency, v.weightGrams,
  );
}

/**
 * Brings lines to the catalog's current price, title and weight (`variants`
 * of SKUs in the cart; others are ignored). Not activity: the idle window
 * stays as it was. A line whose unit price (amount or currency) changed moves
 * the cart's `updatedAt` to `now` (`lastChange`); a new title or weight alone
 * does not, as the cart costs the same.
 */
export function refreshLines(sql: SqlStorage, variants: readonly CartVariant[], now: number): void {
  let repriced = false;
  for (const v of variants) {
    const was = sql.exec<{ unit_amount: number; currency: string }>(`SELECT unit_amount, currency FROM lines WHERE sku = ?`, v.sku).toArray()[0];
    if (!was) continue;
    repriced ||= was.unit_amount !== v.price.amount || was.currency !== v.price.currency;
    sql.exec(
      `UPDATE lines SET product_id = ?, title = ?, unit_amount = ?, currency = ?, weight_grams = ? WHERE sku = ?`,
      v.productId, v.title, v.price.amount, v.price.currency, v.weightGrams, v.sku,
    );
  }
  if (repriced) setMeta(sql, "repriced_at", String(now));
}

export function setLineQuantity(sql: SqlStorage, sku: string, quantity: number): void {
  if (quantity <= 0) sql.exec(`DELETE FROM lines WHERE sku = ?`, sku);
  else sql.exec(`UPDATE lines SET quantity = ? WHERE sku = ?`, quantity, sku);
}

export function clearLines(sql: SqlStorage): void {
  sql.exec(`DELETE FROM lines`);
}

/**
 * The currency of a cart whose lines are priced in `lineCurrencies`: the one
 * the cart was started in (`started`, its first line's when added) while any
 * line is still priced in it, so a product that changed currency since is
 * the line left out, whatever its position. Should no line be priced in it
 * any more (the shop moved every product to another currency), the lines'
 * own. Undefined for an empty cart. Checkout decides by the same rule.
 */
export function currencyOfCart(lineCurrencies: readonly string[], started: string | undefined): string | undefined {
  return started !== undefined && lineCurrencies.includes(started) ? started : lineCurrencies[0];
}

/** The currency the cart was started in (see `currencyOfCart`); kept while it holds lines. */
export function startedCurrency(sql: SqlStorage): string | undefined {
  return meta(sql, "currency");
}

/** Records the currency of a line just added: the cart's (addItem refuses any other). */
export function keepCurrency(sql: SqlStorage, currency: string): void {
  setMeta(sql, "currency", currency);
}

/** The cart's currency (`currencyOfCart`), undefined when empty. */
export function cartCurrency(sql: SqlStorage): string | undefined {
  const currencies = sql.exec<{ currency: string }>(`SELECT currency FROM lines ORDER BY pos`).toArray().map((r) => r.currency);
  return currencyOfCart(currencies, startedCurrency(sql));
}

/**
 * The public Cart view: lines with their totals and the subtotal, all integer
 * minor units. A cart has one currency (`currencyOfCart`). Should a product
 * change currency after it was added, its line shows its new price, marked
 * `excludedFromSubtotal: "OTHER_CURRENCY"`, and the subtotal leaves it out
 * rather than add up two currencies; checkout names it.
 */
export function toCart(sql: SqlStorage, now: number): Cart {
  const id = cartId(sql, now);
  const lines = readLines(sql);
  const currency = currencyOfCart(lines.map((l) => l.unitPrice.currency), startedCurrency(sql)) ?? DEFAULT_CURRENCY;
  const items = lines.map((l) => ({
    sku: l.sku,
    productId: l.productId,
    title: l.title,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    lineTotal: { amount: l.unitPrice.amount * l.quantity, currency: l.unitPrice.currency },
    ...(l.unitPrice.currency === currency ? {} : { excludedFromSubtotal: "OTHER_CURRENCY" as const }),
  }));
  const subtotal = items.reduce((sum, i) => (i.lineTotal.currency === currency ? sum + i.lineTotal.amount : sum), 0);
  return { id, items, subtotal: { amount: subtotal, currency }, updatedAt: new Date(lastChange(sql)).toISOString() };
}
