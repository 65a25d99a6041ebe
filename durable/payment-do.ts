import { TracedDurableObject } from "../shared/traced-object.ts";
import { EventOutbox } from "../shared/event-outbox.ts";
import { domainEvent } from "../shared/events.ts";
import { fail, ok, type ErrorCode } from "../shared/errors.ts";
import type { AuthorizeInput, PaymentStatus, WebhookEvent } from "../shared/schemas/payments.ts";
import { providerFor } from "../workers/payments/src/providers/index.ts";
import { OPS, WEBHOOK_MOVES, toRecord, type Op, type PaymentOutcome, type PaymentRecord, type PaymentRow } from "./payment-state.ts";

export type { PaymentOutcome, PaymentRecord } from "./payment-state.ts";

/**
 * One payment (addressed by payment id): its state machine and the provider
 * calls, kept in SQLite so authorize/capture/void/refund work while Postgres
 * is down. Mutating calls run one at a time (`serial`): the provider call is an
 * awaited fetch that opens the input gate, and the queue is what keeps a
 * concurrent retry from calling the provider a second time. A retry after a
 * crash mid-call re-sends the same idempotency key, so the provider dedupes it.
 */
export class PaymentDO extends TracedDurableObject<PaymentsEnv> {
  protected static override readonly worker = "payments/PaymentDO";
  private queue: Promise<unknown> = Promise.resolve();
  private readonly events: EventOutbox;

  constructor(ctx: DurableObjectState, env: PaymentsEnv) {
    super(ctx, env);
    this.events = new EventOutbox(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS payment (
        id TEXT PRIMARY KEY, order_id TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL,
        amount INTEGER NOT NULL, currency TEXT NOT NULL, provider TEXT NOT NULL, provider_ref TEXT, last4 TEXT,
        failure_code TEXT, failure_detail TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS provider_calls (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, outcome TEXT NOT NULL, at TEXT NOT NULL)`);
      // A void that arrived before its authorization: the late authorization must not happen.
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS voided_early (at TEXT NOT NULL)");
    });
  }

  /** Authorizes once per payment id; a retry with the same parameters gets the first outcome again. */
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
      const res = await provider.authorize({ ...input, idempotencyKey: `edgeshop-${input.paymentId}-authorize` });
      this.logCall("authorize", res.ok ? "ok" : res.error.code);
      const now = new Date().toISOString();
      this.ctx.storage.sql.exec(
        `INSERT INTO payment VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        input.paymentId, input.orderId, input.userId, res.ok ? "authorized" : "failed", input.amount.amount, input.amount.currency,
        provider.name, res.ok ? res.value.providerRef : null, res.ok ? (res.value.last4 ?? null) : null,
        res.ok ? null : res.error.code, res.ok ? null : (res.error.detail ?? null), now, now,
      );
      return this.outcome(this.mustRow(), false, true);
    });
  }

  /** capture / void / refund: idempotent, the provider is called only on the real transition. */
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
      if (status !== rule.from) return { result: fail("CONFLICT", `The payment is ${status} and cannot be ${op === "void" ? "voided" : `${op}d`}.`), record: toRecord(row), changed: false };
      const provider = providerFor(this.env, row.provider);
      const req = { providerRef: row.provider_ref ?? "", amount: { amount: row.amount, currency: row.currency }, idempotencyKey: `edgeshop-${paymentId}-${op}` };
      const res = op === "capture" ? await provider.capture(req) : op === "void" ? await provider.void(req) : await provider.refund(req);
      this.logCall(op, res.ok ? "ok" : res.error.code);
      // A failed capture/void/refund leaves the state as it was, so the caller can retry with the same key.
      if (!res.ok) return { result: res, record: toRecord(row), changed: false };
      this.setStatus(rule.to);
      return this.outcome(this.mustRow(), true, true);
    });
  }

  /** Applies a verified webhook event (deduplicated by the caller); never calls the provider. */
  applyWebhook(event: WebhookEvent): Promise<PaymentOutcome> {
    return this.serial(async () => {
      const row = this.row();
      const d = event.data;
      const move = WEBHOOK_MOVES[event.type];
      // An event whose status contradicts its type (a `payment.refunded` saying `captured`) describes no move.
      if (!row || row.id !== d.paymentId || row.order_id !== d.orderId || row.amount !== d.amount.amount || row.currency !== d.amount.currency || d.status !== move.to) {
        return { result: fail("NOT_FOUND", "No payment matches this event."), record: null, changed: false, applied: false };
      }
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
    // Same synchronous block as the status change: the event commits with it.
    if (status === "captured" || status === "refunded") {
      const row = this.mustRow();
      this.events.add(
        domainEvent(
          `payment.${status}`,
          { orderId: row.order_id, userId: row.user_id, paymentId: row.id, amount: { amount: row.amount, currency: row.currency } },
          `evt_payment_${status}_${row.id}`,
        ),
      );
      this.ctx.waitUntil(this.publish());
    }
  }

  /** Sends pending domain events; on failure the alarm tries again. */
  private async publish(): Promise<void> {
    try {
      await this.events.flush(this.env.EVENTS_QUEUE);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "payment: publishing events failed", error: String(err) }));
      await this.ctx.storage.setAlarm(Date.now() + 5_000);
    }
  }

  override async alarm(): Promise<void> {
    await this.publish();
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
