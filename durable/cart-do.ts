import { TracedDurableObject } from "../shared/traced-object.ts";
import type { FaultEnv } from "../shared/service.ts";
import { fail, ok, type Result } from "../shared/errors.ts";
import type { Cart, CartVariant } from "../shared/schemas/cart.ts";
import type { Order } from "../shared/schemas/orders.ts";
import {
  beginCheckout, busyRefusal, CART_BUSY_WAIT_MS, completeCheckout, dropInFlight, IN_FLIGHT_STALE_MS, oldestInFlight, staleInFlight,
  type BeginCheckout,
} from "../workers/orders/src/cart-checkout.ts";
import {
  CART_IDLE_MS, cartCurrency, clearLines, keepCurrency, lastActivity, lineCount, lineQuantity, MAX_LINE_QUANTITY, MAX_LINES, migrateCart, refreshLines, toCart, touch, upsertLine,
} from "../workers/orders/src/cart-store.ts";
import { errorText } from "../shared/observability.ts";

/**
 * One cart per user (`idFromName(userId)`), SQLite-backed. Every mutation is
 * a synchronous read-check-write on storage, so concurrent adds and patches
 * are serialised and never lose a line. Catalog look-ups (price, availability)
 * happen in the orders Worker before the call, never inside the critical
 * section. It also holds the user's checkout idempotency records, which makes
 * checkout per user serial. Idle carts are emptied by the alarm after 30 days.
 */
export class CartDO extends TracedDurableObject<OrdersEnv> {
  protected static override readonly worker = "orders/CartDO";
  private readonly sql: SqlStorage;
  /** Checkouts waiting for this cart's running checkout to settle (see `beginCheckout`). */
  private readonly waiting = new Set<() => void>();

  constructor(ctx: DurableObjectState, env: OrdersEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => migrateCart(this.sql));
  }

  /** Throws on purpose when FAULT_INJECTION is "on" (tests of error reporting only); `label` ends the message. */
  async injectFault(label = ""): Promise<void> {
    if ((this.env as FaultEnv).FAULT_INJECTION === "on") throw new Error(`injected fault in CartDO${label ? ` (${label})` : ""}`);
  }

  async getCart(): Promise<Cart> {
    return toCart(this.sql, Date.now());
  }

  /** The cart after its lines take the catalog's current prices (`variants`, looked up by the caller); a new price moves `updatedAt`. */
  async refreshPrices(variants: CartVariant[]): Promise<Cart> {
    const now = Date.now();
    refreshLines(this.sql, variants, now);
    return toCart(this.sql, now);
  }

  /** Adds to the line (fresh price snapshot); 409 OUT_OF_STOCK when the line would exceed `available`. */
  async addItem(variant: CartVariant, quantity: number, available: number): Promise<Result<Cart>> {
    const currency = cartCurrency(this.sql);
    if (currency !== undefined && currency !== variant.price.currency) {
      return fail("VALIDATION_FAILED", "A cart holds one currency.", [{ path: "sku", message: `Priced in ${variant.price.currency}, the cart is in ${currency}` }]);
    }
    const held = lineQuantity(this.sql, variant.sku);
    if (held === undefined && lineCount(this.sql) >= MAX_LINES) {
      return fail("VALIDATION_FAILED", `A cart holds at most ${MAX_LINES} different items.`, [{ path: "sku", message: `At most ${MAX_LINES} lines per cart` }]);
    }
    const next = (held ?? 0) + quantity;
    if (next > MAX_LINE_QUANTITY) {
      return fail("VALIDATION_FAILED", `A line holds at most ${MAX_LINE_QUANTITY} units.`, [{ path: "quantity", message: `At most ${MAX_LINE_QUANTITY} per line` }]);
    }
    if (next > available) return outOfStock(variant.sku, next, available);
    upsertLine(this.sql, variant, next);
    keepCurrency(this.sql, variant.price.currency);
    return this.changed();
  }

  /**
   * Sets a line's quantity (0 removes it); 404 for a line not in the cart.
   * `available` is null when the SKU is no longer sold (its product was deleted): only removing the line is left.
   */
  async updateItem(sku: string, quantity: number, available: number | null): Promise<Result<Cart>> {
    if (lineQuantity(this.sql, sku) === undefined) return fail("NOT_FOUND", "This SKU is not in the cart.");
    if (quantity > 0) {
      if (available === null) return fail("UNKNOWN_SKU", `${sku} is no longer sold; remove it from the cart.`, [{ path: sku, message: `${sku} is no longer sold` }]);
      if (quantity > available) return outOfStock(sku, quantity, available);
    }
    if (quantity === 0) this.sql.exec(`DELETE FROM lines WHERE sku = ?`, sku);
    else this.sql.exec(`UPDATE lines SET quantity = ? WHERE sku = ?`, quantity, sku);
    return this.changed();
  }

  async removeItem(sku: string): Promise<Result<Cart>> {
    if (lineQuantity(this.sql, sku) === undefined) return fail("NOT_FOUND", "This SKU is not in the cart.");
    this.sql.exec(`DELETE FROM lines WHERE sku = ?`, sku);
    return this.changed();
  }

  async clear(): Promise<void> {
    clearLines(this.sql);
    await this.changed();
  }

  /**
   * Claims an idempotency key and snapshots the lines, or says why not (see
   * `beginCheckout`). While another key's checkout of this cart runs, this
   * one waits for it to settle (up to `CART_BUSY_WAIT_MS`) and then decides
   * on the cart as that checkout left it, so two keys racing for one cart get
   * one order and one CART_EMPTY rather than a bare conflict. The wait is a
   * plain await: other calls to this cart go on meanwhile.
   */
  async beginCheckout(key: string, bodyHash: string, requestId: string): Promise<BeginCheckout> {
    const deadline = Date.now() + CART_BUSY_WAIT_MS;
    for (;;) {
      const begun = beginCheckout(this.sql, key, bodyHash, requestId, Date.now());
      if (begun.kind === "start") await this.schedule();
      if (begun.kind !== "busy") return begun;
      const left = deadline - Date.now();
      if (left <= 0) return busyRefusal;
      // Woken when a checkout settles; the timer covers one settled by an alarm after a restart.
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(250, left));
        this.waiting.add(wake);
      });
    }
  }

  /** Called by the OrderDO when its saga ends: stores the response, removes bought lines. */
  async completeCheckout(key: string, orderId: string, result: Result<Order>): Promise<void> {
    completeCheckout(this.sql, key, orderId, result, Date.now());
    this.wakeWaiting();
    await this.schedule();
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const stale of staleInFlight(this.sql, now - IN_FLIGHT_STALE_MS)) {
      try {
        const known = await this.env.ORDER.get(this.env.ORDER.idFromName(stale.orderId)).recover();
        if (!known) {
          dropInFlight(this.sql, stale.key, stale.orderId);
          this.wakeWaiting();
        }
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "cart: recovering checkout failed", orderId: stale.orderId, error: errorText(err) }));
      }
    }
    if (now - lastActivity(this.sql) >= CART_IDLE_MS && oldestInFlight(this.sql) === undefined) clearLines(this.sql);
    await this.schedule();
  }

  private wakeWaiting(): void {
    for (const wake of [...this.waiting]) wake();
  }

  private async changed(): Promise<Result<Cart>> {
    const now = Date.now();
    touch(this.sql, now);
    await this.schedule();
    return ok(toCart(this.sql, now));
  }

  /** One alarm covers both the idle expiry and the stale in-flight check, whichever comes first. */
  private async schedule(): Promise<void> {
    const now = Date.now();
    const idleAt = lastActivity(this.sql) + CART_IDLE_MS;
    const oldest = oldestInFlight(this.sql);
    const staleAt = oldest === undefined ? Infinity : Math.max(oldest + IN_FLIGHT_STALE_MS, now + 5_000);
    const hasLines = this.sql.exec(`SELECT 1 FROM lines LIMIT 1`).toArray().length > 0;
    const at = Math.min(hasLines ? Math.max(idleAt, now + 1_000) : Infinity, staleAt);
    if (at === Infinity) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }
}

/** 409 OUT_OF_STOCK naming the SKU, the line's quantity asked for and what is available, as text and as numbers. */
function outOfStock(sku: string, requested: number, available: number): Result<Cart> {
  const left = Math.max(available, 0);
  return fail("OUT_OF_STOCK", `Only ${left} of ${sku} available.`, [{ path: sku, message: `${sku}: requested ${requested}, available ${left}`, sku, requested, available: left }]);
}
