import { TracedDurableObject } from "../shared/traced-object.ts";
import { fail, ok, type Result } from "../shared/errors.ts";
import type { Order, OrderPrincipal } from "../shared/schemas/orders.ts";
import { followUp, hasFollowUps, notifyCart, outcome } from "../workers/orders/src/order-followup.ts";
import { publishOrderEvents, rememberEventTrace, rememberedTrace } from "../workers/orders/src/order-events.ts";
import { backoffMs } from "../workers/orders/src/order-outbox.ts";
import { bump, initialState, setStatus, toOrder, type OrderState, type PlaceOrderInput } from "../workers/orders/src/order-state.ts";
import { isSettled, keepFollowUps, loadState, migrateOrder, saveState } from "../workers/orders/src/order-store.ts";
import { drive } from "../workers/orders/src/saga.ts";
import { errorText } from "../shared/observability.ts";
import { resumedTrace, runWithTrace } from "../shared/trace.ts";

/** If the checkout (or cancel) request dies, the alarm takes over the saga this long after it started. */
const WATCHDOG_MS = 30_000;
/** If this object is reset before a change's follow-ups land, the alarm delivers them this long after the change. */
const FOLLOW_UP_WATCHDOG_MS = 5_000;
const UNAVAILABLE = "The order could not be completed right now; it will be finished or undone automatically.";
const RANK = { paid: 0, shipped: 1, delivered: 2 } as const;

/**
 * One order (`idFromName(orderId)`): the checkout saga's persisted state
 * machine, its compensation, later transitions (cancel, shipped, delivered)
 * and the outbox that copies the order to Postgres. The alarm resumes or
 * compensates an interrupted saga and retries follow-ups with backoff.
 */
export class OrderDO extends TracedDurableObject<OrdersEnv> {
  protected static override readonly worker = "orders/OrderDO";
  private running: Promise<void> | null = null;
  private following: Promise<boolean> | null = null;

  constructor(ctx: DurableObjectState, env: OrdersEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => migrateOrder(ctx.storage.sql));
  }

  /** Runs the checkout saga for a new order (a repeated call just returns the outcome). */
  async place(input: PlaceOrderInput): Promise<Result<Order>> {
    if (!loadState(this.ctx.storage.sql)) {
      saveState(this.ctx.storage.sql, initialState(input, new Date()));
      rememberEventTrace(this.ctx.storage.sql, "paid", input.orderId);
      await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    }
    if (!(await this.runSaga(true))) return fail("SERVICE_UNAVAILABLE", UNAVAILABLE);
    const s = this.state();
    try {
      await notifyCart(this.host());
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "order: notifying the cart failed", orderId: s.orderId, error: errorText(err) }));
    }
    this.ctx.waitUntil(this.followUps());
    return outcome(s);
  }

  /** The order as its owner (or an admin) may see it; null when unknown, not theirs, or never attempted payment. */
  async view(who: OrderPrincipal): Promise<Order | null> {
    const s = loadState(this.ctx.storage.sql);
    return s && s.recorded && (who.role === "admin" || s.userId === who.userId) ? toOrder(s) : null;
  }

  /** paid -> cancelled with refund and restock; repeating it returns the cancelled order. (`cancel` is reserved on stubs.) */
  async cancelOrder(who: OrderPrincipal): Promise<Result<Order>> {
    await this.idle();
    const s = loadState(this.ctx.storage.sql);
    if (!s || !s.recorded || (who.role !== "admin" && s.userId !== who.userId)) return fail("NOT_FOUND", "Order not found.");
    if (s.status === "cancelled") return ok(toOrder(s));
    if (s.status !== "paid") return fail("ORDER_NOT_CANCELLABLE", `An order that is ${s.status} can no longer be cancelled.`);
    s.step = "cancelling";
    s.failure = null;
    saveState(this.ctx.storage.sql, s);
    rememberEventTrace(this.ctx.storage.sql, "cancelled", s.orderId);
    // Should this object be reset mid-cancel, the alarm finishes it: an order left `cancelling` would refuse its
    // parcel's scans (503, sent again) with nothing left to end that.
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    if (!(await this.runSaga(true))) return fail("SERVICE_UNAVAILABLE", UNAVAILABLE);
    const after = this.state();
    if (after.status !== "cancelled") return { ok: false, error: after.failure ?? fail("SERVICE_UNAVAILABLE").error };
    await this.followUps();
    return ok(toOrder(this.state()));
  }

  /** The shipping Worker's news: paid -> shipped -> delivered, never backwards, repeats harmless. */
  async applyShipmentStatus(status: "shipped" | "delivered", at: string): Promise<Result<null>> {
    await this.idle();
    const s = loadState(this.ctx.storage.sql);
    if (!s || !s.recorded) return fail("NOT_FOUND", "Order not found.");
    if ((s.status === "shipped" || s.status === "delivered") && RANK[s.status] >= RANK[status]) return ok(null);
    if ((s.status !== "paid" && s.status !== "shipped") || s.step === "cancelling") return fail("CONFLICT", `The order is ${s.step === "cancelling" ? "being cancelled" : s.status}.`);
    if (status === "delivered" && s.status === "paid") setStatus(s, "shipped", at);
    setStatus(s, status, at);
    s.step = status;
    bump(s);
    saveState(this.ctx.storage.sql, s);
    await this.armFollowUps();
    await this.followUps();
    return ok(null);
  }

  /**
   * The provider refunded this order's payment in full (its webhook) after the
   * order shipped: the order keeps its status and shows its payment refunded.
   * A paid order is cancelled instead (`cancelOrder`); any other order, or a
   * payment that is not this order's, is left as it is. Repeats change nothing.
   */
  async recordRefund(paymentId: string): Promise<Result<null>> {
    await this.idle();
    const s = loadState(this.ctx.storage.sql);
    if (!s || !s.recorded) return fail("NOT_FOUND", "Order not found.");
    if (s.paymentId !== paymentId || s.pay === "refunded" || (s.status !== "shipped" && s.status !== "delivered") || !s.payment) return ok(null);
    s.pay = "refunded";
    s.payment = { ...s.payment, status: "refunded" };
    bump(s);
    saveState(this.ctx.storage.sql, s);
    await this.armFollowUps();
    await this.followUps();
    return ok(null);
  }

  /**
   * Asked by the CartDO about a checkout stuck in flight: false when this
   * order never started. A started one is this object's own alarm's to finish,
   * with its backoff (the CartDO asks every few seconds, and running the saga
   * on each ask would call a recovering dependency that often); the ask only
   * makes sure the alarm is set, should a reset have lost it.
   */
  async recover(): Promise<boolean> {
    if (!loadState(this.ctx.storage.sql)) return false;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
    return true;
  }

  override async alarm(): Promise<void> {
    const s = loadState(this.ctx.storage.sql);
    if (!s) return;
    if (this.running) {
      await this.ctx.storage.setAlarm(Date.now() + 5_000);
      return;
    }
    if (!isSettled(s) && !(await this.resumeSaga(s))) return;
    await this.followUps();
  }

  /**
   * The alarm finishing a saga its request left (a Worker reset, a timeout): under the trace
   * of the checkout or cancel that started it, so its calls' lines carry that request's id,
   * after a line that names the order.
   */
  private async resumeSaga(s: OrderState): Promise<boolean> {
    const stored = rememberedTrace(this.ctx.storage.sql, s.step === "cancelling" ? "cancelled" : "paid", s.orderId);
    console.warn(JSON.stringify({
      level: "warn", worker: "orders", msg: "order: the alarm resumes a saga its request left",
      orderId: s.orderId, step: s.step, paymentId: s.paymentId, requestId: stored?.requestId ?? "", trace: stored?.traceparent ?? "",
    }));
    return stored ? runWithTrace(resumedTrace(stored), () => this.runSaga(false)) : this.runSaga(false);
  }

  private state(): OrderState {
    const s = loadState(this.ctx.storage.sql);
    if (!s) throw new Error("order state missing");
    return s;
  }

  /** Waits for a running saga step (checkout or cancel) to finish. */
  private async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  /** Drives the saga, one runner at a time; on a throw the alarm retries with backoff. False when not settled. */
  private async runSaga(live: boolean): Promise<boolean> {
    await this.idle();
    const state = this.state();
    const host = { state, env: this.env, save: () => saveState(this.ctx.storage.sql, keepFollowUps(loadState(this.ctx.storage.sql), state)) };
    this.running = drive(host, live);
    try {
      await this.running;
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "order saga step failed", orderId: state.orderId, step: state.step, error: errorText(err) }));
      state.outboxAttempts += 1;
      host.save();
      await this.ctx.storage.setAlarm(Date.now() + backoffMs(state.outboxAttempts));
      return false;
    } finally {
      this.running = null;
    }
    return isSettled(this.state());
  }

  /** order.placed / order.cancelled onto the events queue; a refusal is retried by the alarm. */
  private async publishEvents(): Promise<void> {
    const s = loadState(this.ctx.storage.sql);
    if (!s) return;
    try {
      await publishOrderEvents(this.ctx.storage.sql, s, this.env.EVENTS_QUEUE);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "order: publishing events failed", orderId: s.orderId, error: errorText(err) }));
      await this.ctx.storage.setAlarm(Date.now() + 5_000);
    }
  }

  /**
   * Called right after a change is saved (no await between, so the alarm and
   * the change are one write): should this object be reset before the
   * follow-ups land, the alarm delivers them. Nothing else would: a shipment's
   * `delivered` or a provider's refund is the order's last change, and
   * Postgres (which `getOrder` reads first) would show the old state for good.
   * `followUps` replaces or deletes the alarm as usual once it has run.
   */
  private async armFollowUps(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + FOLLOW_UP_WATCHDOG_MS);
  }

  private host(): { env: OrdersEnv; ctx: DurableObjectState } {
    return { env: this.env, ctx: this.ctx };
  }

  /**
   * Cart, shipment and outbox follow-ups, one run at a time. A run that was
   * already going may have delivered an older version, so this repeats until
   * nothing is left; a failure leaves the rest to the alarm (with backoff).
   */
  private async followUps(): Promise<void> {
    await this.publishEvents();
    for (let round = 0; round < 3; round++) {
      if (!this.following) this.following = followUp(this.host()).finally(() => (this.following = null));
      const pending = await this.following;
      const s = loadState(this.ctx.storage.sql);
      if (!s) return;
      if (pending) return this.ctx.storage.setAlarm(Date.now() + backoffMs(s.outboxAttempts));
      if (!hasFollowUps(s)) {
        if (isSettled(s) && !this.running) await this.ctx.storage.deleteAlarm();
        return;
      }
    }
    await this.ctx.storage.setAlarm(Date.now() + 1_000);
  }
}
