import { TracedDurableObject } from "../shared/traced-object.ts";
import { EventOutbox } from "../shared/event-outbox.ts";
import { domainEvent } from "../shared/events.ts";
import { RetryLater, fail, ok, type ErrorCode } from "../shared/errors.ts";
import type { AuthorizeInput, PaymentStatus, WebhookEvent } from "../shared/schemas/payments.ts";
import { providerFor } from "../workers/payments/src/providers/index.ts";
import { outcomeLabel as label } from "../workers/payments/src/providers/types.ts";
import { DoubtfulAuthorizations } from "../workers/payments/src/doubtful-authorizations.ts";
import { OPS, PROVIDER_MOVES, WEBHOOK_MOVES, insertPaymentRow, pathTo, refundable, toRecord, type Op, type PaymentOutcome, type PaymentRecord, type PaymentRow, type ProviderEvent } from "./payment-state.ts";
import { errorText } from "../shared/observability.ts";

export type { PaymentOutcome, PaymentRecord, ProviderEvent } from "./payment-state.ts";

/** How soon the outbox is tried again by the alarm after a status change, should the send right after it not happen. */
const OUTBOX_RETRY_MS = 5_000;

const verb = (op: Op) => (op === "void" ? "voided" : `${op}d`);

/**
 * One payment (addressed by payment id): its state machine and the provider
 * calls, kept in SQLite so authorize/capture/void/refund work while Postgres
 * is down. Mutating calls run one at a time (`serial`): the provider call is an
 * awaited fetch that opens the input gate, and the queue is what keeps a
 * concurrent retry from calling the provider a second time.
 *
 * A provider answer is done, refused or unknown (lost, timed out, 5xx). An
 * unknown one is never reported as a failure: capture/void/refund read the
 * provider's record (`lookup`) and set the payment from it, or throw so the
 * caller retries; an authorization whose answer stays lost is abandoned, and
 * any hold it placed is found and released by the alarm (`DoubtfulAuthorizations`).
 */
export class PaymentDO extends TracedDurableObject<PaymentsEnv> {
  protected static override readonly worker = "payments/PaymentDO";
  private queue: Promise<unknown> = Promise.resolve();
  private readonly events: EventOutbox;
  private readonly doubts: DoubtfulAuthorizations;

  constructor(ctx: DurableObjectState, env: PaymentsEnv) {
    super(ctx, env);
    this.events = new EventOutbox(ctx.storage.sql);
    this.doubts = new DoubtfulAuthorizations(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS payment (
        id TEXT PRIMARY KEY, order_id TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL,
        amount INTEGER NOT NULL, currency TEXT NOT NULL, provider TEXT NOT NULL, provider_ref TEXT, last4 TEXT,
        failure_code TEXT, failure_detail TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
      // `refunded` (minor units refunded at the provider so far) came later: an object created before it gets the column, 0.
      if (!ctx.storage.sql.exec<{ name: string }>("PRAGMA table_info(payment)").toArray().some((c) => c.name === "refunded")) {
        ctx.storage.sql.exec("ALTER TABLE payment ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0");
      }
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS provider_calls (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, outcome TEXT NOT NULL, at TEXT NOT NULL)`);
      // A void that arrived before its authorization: the late authorization must not happen.
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS voided_early (at TEXT NOT NULL)");
      // Per operation, how many times its idempotency key was replaced (a lost answer the provider may replay as a 500).
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS provider_keys (op TEXT PRIMARY KEY, attempt INTEGER NOT NULL)");
      this.doubts.migrate();
      // Work only the alarm does (an unsent event, a lost authorization's hold to release) must have one: a reset, or
      // the previous release running this object meanwhile (its alarm only publishes), may have used it up.
      if ((this.events.pending() > 0 || this.doubts.open()) && (await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(Date.now() + 1_000);
    });
  }

  /**
   * Authorizes once per payment id; a retry with the same parameters gets the first outcome again.
   * An answer lost twice (the same idempotency key is sent again once: the provider replays what it
   * saved, or runs a request it never got) ends the payment `failed`, PAYMENT_PROVIDER_ERROR: it
   * will never be captured, and a hold it may have placed is released by the alarm.
   */
  authorize(input: AuthorizeInput): Promise<PaymentOutcome> {
    return this.serial(async () => {
      const existing = this.row();
      if (!existing && this.ctx.storage.sql.exec("SELECT 1 FROM voided_early").toArray().length > 0) {
        return { result: fail("CONFLICT", "This payment was voided before it was authorized."), record: null, changed: false };
      }
      if (existing) {
        const same = existing.order_id === input.orderId && existing.user_id === input.userId
          && existing.amount === input.amount.amount && existing.currency === input.amount.currency;
        if (!same) return { result: fail("CONFLICT", "This payment id was already used with different parameters."), record: null, changed: false };
        return this.outcome(existing);
      }
      const provider = providerFor(this.env);
      const req = { ...input, idempotencyKey: `edgeshop-${input.paymentId}-authorize` };
      // Written before the call: an answer lost, or this object reset mid-call, leaves a hold to look for.
      this.doubts.begin(input, provider.name);
      let res = await provider.tryAuthorize(req);
      this.logCall("authorize", label(res));
      if (res.kind === "unknown") {
        res = await provider.tryAuthorize(req);
        this.logCall("authorize", label(res));
      }
      const now = new Date().toISOString();
      const failure = res.kind === "done" ? null : res.kind === "refused" ? res.error : this.doubts.abandonedError();
      insertPaymentRow(this.ctx.storage.sql, {
        id: input.paymentId, order_id: input.orderId, user_id: input.userId, status: failure ? "failed" : "authorized",
        amount: input.amount.amount, currency: input.amount.currency, provider: provider.name,
        provider_ref: res.kind === "done" ? res.value.providerRef : null, last4: res.kind === "done" ? (res.value.last4 ?? null) : null,
        failure_code: failure?.code ?? null, failure_detail: failure?.detail ?? null, created_at: now, updated_at: now,
      });
      if (res.kind !== "unknown") this.doubts.resolve(this.events.pending() === 0);
      return this.outcome(this.mustRow(), false, true);
    });
  }

  /**
   * capture / void / refund: idempotent, the provider is called only on the real transition.
   * Throws when the provider's answer was lost and its record cannot be read: the caller retries.
   */
  operate(paymentId: string, op: Op): Promise<PaymentOutcome> {
    return this.serial(async () => {
      const row = this.row();
      if (!row || row.id !== paymentId) {
        // Saga compensation can overtake a slow authorize: remember the void so the authorize is refused.
        if (!row && op === "void") this.ctx.storage.sql.exec("INSERT INTO voided_early (at) VALUES (?)", new Date().toISOString());
        return { result: fail("NOT_FOUND", "Payment not found."), record: null, changed: false };
      }
      const rule = OPS[op];
      const status = row.status as PaymentStatus;
      if (rule.done.includes(status)) return this.outcome(row, true);
      if (status !== rule.from) return { result: fail("CONFLICT", `The payment is ${status} and cannot be ${verb(op)}.`), record: toRecord(row), changed: false };
      return this.perform(row, op);
    });
  }

  /** Applies a verified webhook event (deduplicated by the caller); never calls the provider. */
  applyWebhook(event: WebhookEvent): Promise<PaymentOutcome> {
    const d = event.data;
    const move = WEBHOOK_MOVES[event.type];
    // An event whose status contradicts its type (a `payment.refunded` saying `captured`) describes no move.
    return this.applyMove(move, (row) => row.id === d.paymentId && row.order_id === d.orderId && row.amount === d.amount.amount && row.currency === d.amount.currency && d.status === move.to);
  }

  /**
   * Applies a verified event of the provider's own (Stripe's), deduplicated by the caller; never calls the
   * provider. Beyond `applyWebhook`'s checks, the payment must be the provider's and, once it knows its
   * reference (the PaymentIntent), that reference must be the event's.
   */
  applyProviderEvent(event: ProviderEvent): Promise<PaymentOutcome> {
    return this.applyMove(PROVIDER_MOVES[event.move], (row) =>
      row.id === event.paymentId && row.order_id === event.orderId && row.amount === event.amount.amount && row.currency === event.amount.currency
      && row.provider === event.provider && (row.provider_ref === null || row.provider_ref === event.providerRef));
  }

  /**
   * A refund of part of the payment made at the provider (Stripe's `charge.refunded` with `refunded: false`):
   * `refunded` is the provider's cumulative amount, so the payment keeps the larger of it and what it knew
   * (redelivered or out-of-order events change nothing). Matched as `applyProviderEvent` matches; the status
   * stays as it is, and a later full refund by edgeshop (a cancel) asks the provider for the rest only.
   */
  recordPartialRefund(event: ProviderEvent, refunded: number): Promise<PaymentOutcome> {
    return this.serial(async () => {
      const row = this.row();
      const matches = row && row.id === event.paymentId && row.order_id === event.orderId && row.amount === event.amount.amount
        && row.currency === event.amount.currency && row.provider === event.provider && (row.provider_ref === null || row.provider_ref === event.providerRef);
      if (!row || !matches) return { result: fail("NOT_FOUND", "No payment matches this event."), record: null, changed: false, applied: false };
      const next = Math.min(row.amount, Math.max(row.refunded, refunded));
      const applied = next !== row.refunded && row.status !== "refunded";
      if (applied) this.ctx.storage.sql.exec("UPDATE payment SET refunded = ?, updated_at = ?", next, new Date().toISOString());
      return { ...this.outcome(this.mustRow(), true, applied), applied };
    });
  }

  /** Moves the payment `from` -> `to` when `matches` accepts it; an event matching no payment changes nothing. */
  private applyMove(move: { from: PaymentStatus; to: PaymentStatus }, matches: (row: PaymentRow) => boolean): Promise<PaymentOutcome> {
    return this.serial(async () => {
      const row = this.row();
      if (!row || !matches(row)) return { result: fail("NOT_FOUND", "No payment matches this event."), record: null, changed: false, applied: false };
      const applied = row.status === move.from;
      if (applied) this.setStatus(move.to);
      return { ...this.outcome(this.mustRow(), true, applied), applied };
    });
  }

  /** The current record, or null for an unknown payment. */
  async get(): Promise<PaymentRecord | null> {
    const row = this.row();
    return row ? toRecord(row) : null;
  }

  /** Every provider call made for this payment, oldest first (operations and tests count them). */
  async providerCalls(): Promise<{ op: string; outcome: string }[]> {
    return this.ctx.storage.sql.exec<{ op: string; outcome: string }>("SELECT op, outcome FROM provider_calls ORDER BY seq").toArray();
  }

  /** Sends what the outbox holds, then looks for the hold of an authorization whose answer was lost. Idempotent. */
  override async alarm(): Promise<void> {
    await this.publish();
    await this.serial(() => this.doubts.settle(this.env, (op, outcome) => this.logCall(op, outcome)));
  }

  /**
   * One capture/void/refund at the provider. Anything but `done` is checked against the provider's
   * record: a refusal may only mean that an earlier call whose answer was lost already did it, and
   * an unknown outcome is never taken for a failure.
   */
  private async perform(row: PaymentRow, op: Op): Promise<PaymentOutcome> {
    const rule = OPS[op];
    const provider = providerFor(this.env, row.provider);
    const providerRef = row.provider_ref ?? "";
    // A refund asks for what the provider has not refunded yet (a partial refund made there); nothing left, no call.
    const amount = op === "refund" ? refundable(row) : row.amount;
    if (amount === 0) {
      this.setStatus(rule.to);
      return this.outcome(this.mustRow(), true, true);
    }
    for (let attempt = 1; ; attempt++) {
      // A refund of the rest has a key of its own, per amount: stable across retries, and never the key of a request with other parameters.
      const key = this.keyFor(row.id, op) + (amount === row.amount ? "" : `-rest${amount}`);
      const req = { providerRef, amount: { amount, currency: row.currency }, idempotencyKey: key };
      const res = op === "capture" ? await provider.tryCapture(req) : op === "void" ? await provider.tryVoid(req) : await provider.tryRefund(req);
      this.logCall(op, label(res));
      if (res.kind === "done") {
        this.setStatus(rule.to);
        return this.outcome(this.mustRow(), true, true);
      }
      const truth = await provider.lookup(providerRef);
      this.logCall("lookup", truth.kind === "done" ? truth.value.providerStatus : label(truth));
      const path = truth.kind === "done" && truth.value.status !== "other" ? pathTo(row.status as PaymentStatus, truth.value.status) : null;
      const what = res.kind === "refused" ? `was refused (${res.error.detail ?? res.error.code})` : `has no known outcome (${res.detail})`;
      if (!path) {
        const state = truth.kind === "done" ? `is ${truth.value.providerStatus}` : `could not be read (${label(truth)})`;
        throw new RetryLater(`payment ${row.id}: the ${op} ${what} and the provider's record ${state}`);
      }
      for (const status of path) this.setStatus(status);
      const now = this.mustRow();
      const status = now.status as PaymentStatus;
      if (status === rule.to || rule.done.includes(status)) return this.outcome(now, true, path.length > 0);
      if (status !== rule.from) return { result: fail("CONFLICT", `The payment is ${status} and cannot be ${verb(op)}.`), record: toRecord(now), changed: true };
      // The provider holds the payment as it was: this call did nothing.
      if (res.kind === "refused") return { result: { ok: false, error: res.error }, record: toRecord(now), changed: false };
      // Lost, yet not applied: perhaps a 500 the provider saved under this key and would replay for 24 h. A new key;
      // safe, since the provider moves a payment through each of these steps once whatever the key.
      this.rotateKey(op);
      if (attempt >= 2) throw new RetryLater(`payment ${row.id}: the ${op} ${what} twice and the provider still holds it ${row.status}`);
    }
  }

  private keyFor(paymentId: string, op: Op): string {
    const n = this.ctx.storage.sql.exec<{ attempt: number }>("SELECT attempt FROM provider_keys WHERE op = ?", op).toArray()[0]?.attempt ?? 0;
    return n === 0 ? `edgeshop-${paymentId}-${op}` : `edgeshop-${paymentId}-${op}-${n}`;
  }

  private rotateKey(op: Op): void {
    this.ctx.storage.sql.exec("INSERT INTO provider_keys (op, attempt) VALUES (?, 1) ON CONFLICT (op) DO UPDATE SET attempt = attempt + 1", op);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private row(): PaymentRow | null {
    return this.ctx.storage.sql.exec<PaymentRow>("SELECT * FROM payment LIMIT 1").toArray()[0] ?? null;
  }

  private mustRow(): PaymentRow {
    const row = this.row();
    if (!row) throw new Error("payment row missing right after it was written");
    return row;
  }

  private setStatus(status: PaymentStatus): void {
    this.ctx.storage.sql.exec("UPDATE payment SET status = ?, updated_at = ?", status, new Date().toISOString());
    // Same synchronous block as the status change: the event and the alarm that guarantees its sending commit with it,
    // so a reset before the send below leaves the alarm to send it.
    if (status === "captured" || status === "refunded") {
      const row = this.mustRow();
      this.events.add(
        domainEvent(
          `payment.${status}`,
          { orderId: row.order_id, userId: row.user_id, paymentId: row.id, amount: { amount: row.amount, currency: row.currency } },
          `evt_payment_${status}_${row.id}`,
        ),
      );
      void this.ctx.storage.setAlarm(Date.now() + OUTBOX_RETRY_MS);
      this.ctx.waitUntil(this.publish());
    }
  }

  /** Sends pending domain events; on failure the alarm tries again. Once nothing is left to do, the alarm goes. */
  private async publish(): Promise<void> {
    try {
      await this.events.flush(this.env.EVENTS_QUEUE);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "payment: publishing events failed", error: errorText(err) }));
      await this.ctx.storage.setAlarm(Date.now() + OUTBOX_RETRY_MS);
      return;
    }
    if (this.events.pending() === 0 && !this.doubts.open()) await this.ctx.storage.deleteAlarm();
  }

  private logCall(op: string, outcome: string): void {
    this.ctx.storage.sql.exec("INSERT INTO provider_calls (op, outcome, at) VALUES (?, ?, ?)", op, outcome, new Date().toISOString());
  }

  /** A failed authorization replays its error; every other state is a summary. */
  private outcome(row: PaymentRow, ignoreFailure = false, changed = false): PaymentOutcome {
    const record = toRecord(row);
    if (row.status === "failed" && !ignoreFailure && row.failure_code) {
      return { result: fail(row.failure_code as ErrorCode, row.failure_detail ?? undefined), record, changed };
    }
    const { providerRef: _ref, ...summary } = record;
    return { result: ok(summary), record, changed };
  }
}
