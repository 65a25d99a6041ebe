import type { DomainError } from "../../../shared/errors.ts";
import type { AuthorizeInput } from "../../../shared/schemas/payments.ts";
import { insertPaymentRow } from "../../../durable/payment-state.ts";
import { providerFor, type ProviderConfig } from "./providers/index.ts";
import { outcomeLabel } from "./providers/types.ts";

/** The first look for a hold: after the authorize call could have ended (two calls of at most 10 s each). */
const FIRST_CHECK_MS = 60_000;
/** Stripe's search index lags under a minute normally, up to an hour in an outage: look this long before giving up. */
const SEARCH_WINDOW_MS = 70 * 60_000;
const MAX_BACKOFF_MS = 10 * 60_000;

const ABANDONED = "The payment provider did not answer. Nothing was charged, and a hold it may have placed on the card will be released.";

type Doubt = {
  payment_id: string;
  order_id: string;
  user_id: string;
  amount: number;
  currency: string;
  provider: string;
  started_at: number;
  checks: number;
};

/**
 * The PaymentDO's authorizations in doubt (its own table in the object's storage, beside
 * `payment`). One is written before every authorize call and removed when the provider answers.
 * It stays when the answer was lost twice, or when the object was reset mid-call: the provider may
 * then hold funds on the card under a PaymentIntent whose id edgeshop never learned. Such a payment
 * ends `failed` (it will never be captured), and the alarm finds the PaymentIntent by the
 * `payment_id` metadata it was created with and cancels it. A search, not a replay of the create:
 * a replay would create the hold if the first request never arrived, and after 24 h whatever the case.
 */
export class DoubtfulAuthorizations {
  constructor(private readonly storage: DurableObjectStorage) {}

  /** Creates the table (idempotent; the release before this one never reads it). */
  migrate(): void {
    this.storage.sql.exec(`CREATE TABLE IF NOT EXISTS authorize_in_doubt (
      payment_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, user_id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
      provider TEXT NOT NULL, started_at INTEGER NOT NULL, checks INTEGER NOT NULL DEFAULT 0)`);
  }

  /** Before the call, in the same synchronous block as the alarm that looks after it should this object be reset. */
  begin(input: AuthorizeInput, provider: string): void {
    this.storage.sql.exec(
      "INSERT OR IGNORE INTO authorize_in_doubt (payment_id, order_id, user_id, amount, currency, provider, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      input.paymentId, input.orderId, input.userId, input.amount.amount, input.amount.currency, provider, Date.now(),
    );
    void this.storage.setAlarm(Date.now() + FIRST_CHECK_MS);
  }

  /** The provider answered: nothing is in doubt. `dropAlarm` when nothing else needs the alarm. */
  resolve(dropAlarm: boolean): void {
    this.storage.sql.exec("DELETE FROM authorize_in_doubt");
    if (dropAlarm) void this.storage.deleteAlarm();
  }

  open(): boolean {
    return this.doubt() !== null;
  }

  /** What the caller is told when the answer stays lost: a failure edgeshop decides, and makes true by releasing any hold. */
  abandonedError(): DomainError {
    return { code: "PAYMENT_PROVIDER_ERROR", detail: ABANDONED };
  }

  /**
   * From the alarm, with nothing else running in the object: ends the payment `failed` if the
   * call died with the object, looks for its PaymentIntent and cancels a hold. Looks again later
   * (backoff) until found or the search window has passed. Idempotent.
   */
  async settle(env: ProviderConfig, log: (op: string, outcome: string) => void): Promise<void> {
    const d = this.doubt();
    if (!d) return;
    const sql = this.storage.sql;
    const row = sql.exec<{ status: string }>("SELECT status FROM payment LIMIT 1").toArray()[0];
    if (row && row.status !== "failed") return this.resolve(false);
    if (!row) {
      const now = new Date().toISOString();
      insertPaymentRow(sql, {
        id: d.payment_id, order_id: d.order_id, user_id: d.user_id, status: "failed", amount: d.amount, currency: d.currency, provider: d.provider,
        provider_ref: null, last4: null, failure_code: "PAYMENT_PROVIDER_ERROR", failure_detail: ABANDONED, created_at: now, updated_at: now,
      });
    }
    const provider = providerFor(env, d.provider);
    const found = await provider.findByPaymentId(d.payment_id);
    log("find", found.kind === "done" ? `found ${found.value.length}` : outcomeLabel(found));
    const context = { worker: "payments", paymentId: d.payment_id, orderId: d.order_id };
    let settled = false;
    if (found.kind === "refused") {
      console.error(JSON.stringify({ level: "error", ...context, msg: "payment: cannot search the provider for a hold whose authorization answer was lost; the provider releases it on its own (Stripe: 7 days)", detail: found.error.detail }));
      settled = true;
    } else if (found.kind === "done" && found.value.length > 0) {
      settled = true;
      for (const pi of found.value) {
        sql.exec("UPDATE payment SET provider_ref = ? WHERE provider_ref IS NULL", pi.providerRef);
        if (pi.status === "authorized") {
          const amount = { amount: d.amount, currency: d.currency };
          const v = await provider.tryVoid({ providerRef: pi.providerRef, amount, idempotencyKey: `edgeshop-${d.payment_id}-void-${pi.providerRef}` });
          log("void", outcomeLabel(v));
          if (v.kind === "done") console.warn(JSON.stringify({ level: "warn", ...context, msg: "payment: released the hold of an authorization whose answer was lost", providerRef: pi.providerRef }));
          else settled = false; // the next search says what became of it
        } else if (pi.status === "captured" || pi.status === "refunded") {
          console.error(JSON.stringify({ level: "error", ...context, msg: "payment: money moved on a payment edgeshop abandoned", providerRef: pi.providerRef, providerStatus: pi.providerStatus }));
        }
      }
    }
    if (!settled && Date.now() - d.started_at > SEARCH_WINDOW_MS) {
      console.warn(JSON.stringify({ level: "warn", ...context, msg: "payment: no PaymentIntent found for an authorization whose answer was lost; stopped looking" }));
      settled = true;
    }
    if (settled) return this.resolve(false);
    const checks = d.checks + 1;
    sql.exec("UPDATE authorize_in_doubt SET checks = ?", checks);
    const next = Date.now() + Math.min(MAX_BACKOFF_MS, 30_000 * 2 ** (checks - 1));
    const current = await this.storage.getAlarm();
    if (current === null || current > next) await this.storage.setAlarm(next);
  }

  private doubt(): Doubt | null {
    return this.storage.sql.exec<Doubt>("SELECT * FROM authorize_in_doubt LIMIT 1").toArray()[0] ?? null;
  }
}
