import { TracedDurableObject } from "../shared/traced-object.ts";
import {
  HOLD_KINDS, RECONCILE_RESERVED, STOCK_SCHEMA, STOCK_UPGRADES, readLedger, readReservation, readSnapshot, readStock, snapshotOf,
  type LedgerEntry, type LedgerKind, type ReservationRow, type StockOutcome, type StockRow, type StockSnapshot,
} from "./stock-model.ts";
import { copyToPostgresIfDue, owePostgresCopy, postgresCopyDueAt } from "./stock-postgres-copy.ts";

export type { LedgerEntry, StockSnapshot, StockOutcome } from "./stock-model.ts";

/** Closed reservations (and their hold entries in the ledger) are kept this long so late retries stay idempotent. */
const KEEP_CLOSED_MS = 7 * 24 * 3600 * 1000;
const MAX_TTL_SECONDS = 24 * 3600;
/**
 * Most holds one call or alarm run expires (and most old rows one alarm run
 * deletes): a backlog (thousands of holds due at once) is worked off in short
 * steps, with other calls served in between, instead of one long transaction
 * that stalls the object. Holds still waiting their turn keep counting as
 * reserved, which can only under-promise.
 */
const EXPIRE_BATCH = 256;
const PURGE_BATCH = 1000;
/**
 * Alarm runs are at least this far apart. Every call expires due holds
 * itself before it reads or changes stock, so the alarm only gives units back
 * to an object nobody calls, and a few tenths of a second later changes
 * nothing anyone sees. Without the step, a hot SKU (holds expiring every
 * millisecond) ran its alarm after every few reservations.
 */
const ALARM_STEP_MS = 250;

/**
 * One per SKU (`idFromName(sku)`). Every change is a synchronous SQL
 * transaction with no other `await` in between, so reservations for a SKU are
 * serialised here and oversell is impossible by construction. Invariants:
 * on_hand >= 0, on_hand - reserved >= 0, initial + adjusted = on_hand + sold.
 */
export class StockDO extends TracedDurableObject<CatalogEnv> {
  protected static override readonly worker = "catalog/StockDO";
  private readonly sql: SqlStorage;
  /**
   * Earliest expiry among held reservations as far as this instance knows
   * (null: none held; undefined: not read yet). It may be earlier than the
   * truth (a hold it names was since committed or released), never later, so
   * `expireDue` can skip its query until then without missing a due hold.
   */
  private nextExpiry: number | null | undefined;
  /** The alarm this instance last saw set (undefined: unknown), so a reservation need not read it back. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: CatalogEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      for (const stmt of STOCK_SCHEMA) this.sql.exec(stmt);
      for (const upgrade of STOCK_UPGRADES) {
        if (upgrade.applies(this.sql)) ctx.storage.transactionSync(() => upgrade.statements.forEach((stmt) => this.sql.exec(stmt)));
      }
      this.sql.exec(RECONCILE_RESERVED);
      await this.keepAlarmSet();
    });
  }

  /** Creates the counters for a new SKU; a no-op when they exist (idempotent). */
  initialise(sku: string, onHand: number, productId: string | null = null): StockSnapshot {
    if (!this.row()) {
      this.ctx.storage.transactionSync(() => {
        this.sql.exec("INSERT INTO stock (id, sku, product_id, initial, on_hand) VALUES (1, ?, ?, ?, ?)", sku, productId, onHand, onHand);
        this.log("init", onHand, "initial stock", null);
      });
    }
    return this.snapshot();
  }

  /** Holds `qty` units until now + ttl; a retry with the same id returns the first hold. */
  async reserve(reservationId: string, qty: number, ttlSeconds: number): Promise<StockOutcome<{ expiresAt: number }>> {
    const now = Date.now();
    this.expireDue(now);
    const stock = this.row();
    if (!stock || stock.retired) return { ok: false, reason: "unknown", available: 0 };
    const existing = this.reservation(reservationId);
    if (existing) {
      if (existing.state !== "held" && existing.state !== "committed") return { ok: false, reason: "closed", available: this.snapshot().available };
      // A retry asks for what the first call asked for; another quantity under the id is a caller's bug, not a retry.
      if (existing.qty !== qty) return { ok: false, reason: "mismatch", available: this.snapshot().available };
      return { ok: true, expiresAt: existing.expires_at, snapshot: this.snapshot() };
    }
    const available = stock.on_hand - stock.reserved;
    if (!Number.isInteger(qty) || qty < 1 || qty > available) return { ok: false, reason: "insufficient", available };
    const expiresAt = now + Math.min(Math.max(Math.floor(ttlSeconds), 1), MAX_TTL_SECONDS) * 1000;
    const seq = this.ctx.storage.transactionSync(() => {
      this.sql.exec("INSERT INTO reservations (id, qty, expires_at, state, closed_at) VALUES (?, ?, ?, 'held', NULL)", reservationId, qty, expiresAt);
      this.sql.exec("UPDATE stock SET reserved = reserved + ? WHERE id = 1", qty);
      return this.log("reserve", -qty, "reserved", reservationId);
    });
    if (this.nextExpiry !== undefined && (this.nextExpiry === null || expiresAt < this.nextExpiry)) this.nextExpiry = expiresAt;
    await this.scheduleAlarm(expiresAt);
    // The counters this transaction left, without reading them back (nothing else ran in between).
    return { ok: true, expiresAt, snapshot: snapshotOf({ ...stock, reserved: stock.reserved + qty }, seq) };
  }

  /**
   * Turns a hold into a sale (on_hand and the hold both drop). Retrying is a
   * no-op. A hold that already expired is still sold when the units are there,
   * so a slow payment does not lose an order that stock can serve.
   */
  async commit(reservationId: string): Promise<StockOutcome<{ changed: boolean; qty: number }>> {
    const now = Date.now();
    this.expireDue(now);
    const r = this.reservation(reservationId);
    if (!r) return { ok: false, reason: "unknown", available: this.snapshot().available };
    if (r.state === "committed") {
      await this.keepAlarmSet(); // the first call may have failed to set it
      return { ok: true, changed: false, qty: r.qty, snapshot: this.snapshot() };
    }
    if (r.state === "released") return { ok: false, reason: "closed", available: this.snapshot().available };
    if (r.state === "expired" && this.snapshot().available < r.qty) return { ok: false, reason: "insufficient", available: this.snapshot().available };
    const copyDue = this.ctx.storage.transactionSync(() => {
      // An expired hold no longer counts as reserved; a held one stops counting now.
      this.sql.exec("UPDATE stock SET on_hand = on_hand - ?, sold = sold + ?, reserved = reserved - ? WHERE id = 1", r.qty, r.qty, r.state === "held" ? r.qty : 0);
      this.sql.exec("UPDATE reservations SET state = 'committed', closed_at = ? WHERE id = ?", now, reservationId);
      return owePostgresCopy(this.sql, this.log("commit", -r.qty, r.state === "expired" ? "sold after hold expired" : "sold", reservationId), now);
    });
    await this.scheduleAlarm(copyDue);
    return { ok: true, changed: true, qty: r.qty, snapshot: this.snapshot() };
  }

  /**
   * Gives a hold back, for good: an expired hold is closed too (a late commit
   * can no longer sell it), and an unknown id leaves a tombstone so a late
   * reserve cannot hold again. A sale is left alone (`undo` takes it back).
   */
  release(reservationId: string): StockOutcome<{ changed: boolean }> {
    const now = Date.now();
    this.expireDue(now);
    const r = this.reservation(reservationId);
    // Nothing can ever be held on an uninitialised SKU, so no tombstone is needed there.
    if (!this.row() || (r && r.state !== "held" && r.state !== "expired")) return { ok: true, changed: false, snapshot: this.snapshot() };
    this.ctx.storage.transactionSync(() => this.close(r, reservationId, now));
    return { ok: true, changed: r?.state === "held", snapshot: this.snapshot() };
  }

  /**
   * Takes a reservation back whatever became of it, and closes it for good:
   * a hold is released, a sale is returned to stock, an unknown id leaves a
   * tombstone. Afterwards a commit or reserve with this id is refused, so a
   * retried checkout can not sell what was given back. Repeating it changes
   * nothing. For a multi-SKU commit that failed on some SKU (`commitAll`),
   * whichever attempt sold the others.
   */
  async undo(reservationId: string, reason: string): Promise<StockOutcome<{ changed: boolean }>> {
    const now = Date.now();
    this.expireDue(now);
    const r = this.reservation(reservationId);
    const stock = this.row();
    if (!stock || (r && r.state === "released")) return { ok: true, changed: false, snapshot: this.snapshot() };
    if (r?.state !== "committed") {
      this.ctx.storage.transactionSync(() => this.close(r, reservationId, now));
      return { ok: true, changed: r?.state === "held", snapshot: this.snapshot() };
    }
    if (this.seenOperation(`${reservationId}:undo`)) {
      // The release before this one undid a sale by restock and left the reservation open: close it only.
      this.sql.exec("UPDATE reservations SET state = 'released', closed_at = ? WHERE id = ?", now, reservationId);
      return { ok: true, changed: false, snapshot: this.snapshot() };
    }
    if (r.qty > stock.sold) return { ok: false, reason: "insufficient", available: this.snapshot().available };
    const copyDue = this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE stock SET on_hand = on_hand + ?, sold = sold - ? WHERE id = 1", r.qty, r.qty);
      this.sql.exec("UPDATE reservations SET state = 'released', closed_at = ? WHERE id = ?", now, reservationId);
      return owePostgresCopy(this.sql, this.log("restock", r.qty, reason, reservationId), now);
    });
    await this.scheduleAlarm(copyDue);
    return { ok: true, changed: true, snapshot: this.snapshot() };
  }

  /**
   * Adds or removes units on hand (admin). Refused when available would go
   * negative. Once per operation id: a retry changes nothing, and the same id
   * with another delta or reason is refused (`mismatch`).
   */
  async adjust(delta: number, reason: string, operationId?: string): Promise<StockOutcome<{ changed: boolean }>> {
    const now = Date.now();
    this.expireDue(now);
    const stock = this.row();
    if (!stock || stock.retired) return { ok: false, reason: "unknown", available: 0 };
    const body = JSON.stringify([delta, reason]);
    const seen = operationId ? this.sql.exec<{ body: string | null }>("SELECT body FROM operations WHERE id = ?", operationId).toArray()[0] : undefined;
    if (seen) {
      if (seen.body !== null && seen.body !== body) return { ok: false, reason: "mismatch", available: stock.on_hand - stock.reserved };
      await this.keepAlarmSet(); // the first call may have failed to set it
      return { ok: true, changed: false, snapshot: this.snapshot() };
    }
    const available = stock.on_hand - stock.reserved;
    if (!Number.isInteger(delta) || available + delta < 0) return { ok: false, reason: "insufficient", available };
    const copyDue = this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE stock SET on_hand = on_hand + ?, adjusted = adjusted + ? WHERE id = 1", delta, delta);
      if (operationId) this.sql.exec("INSERT INTO operations (id, at, body) VALUES (?, ?, ?)", operationId, now, body);
      return owePostgresCopy(this.sql, this.log("adjust", delta, reason, operationId ?? null), now);
    });
    await this.scheduleAlarm(copyDue);
    return { ok: true, changed: true, snapshot: this.snapshot() };
  }

  /**
   * Returns sold units to stock (a cancelled order), once per operation id; the
   * same id with another quantity is refused (`mismatch`).
   */
  async restock(operationId: string, qty: number, reason: string): Promise<StockOutcome<{ changed: boolean }>> {
    const stock = this.row();
    if (!stock) return { ok: false, reason: "unknown", available: 0 };
    const body = JSON.stringify([qty]);
    const seen = this.sql.exec<{ body: string | null }>("SELECT body FROM operations WHERE id = ?", operationId).toArray()[0];
    if (seen) {
      if (seen.body !== null && seen.body !== body) return { ok: false, reason: "mismatch", available: this.snapshot().available };
      await this.keepAlarmSet(); // the first call may have failed to set it
      return { ok: true, changed: false, snapshot: this.snapshot() };
    }
    if (!Number.isInteger(qty) || qty < 1 || qty > stock.sold) return { ok: false, reason: "insufficient", available: this.snapshot().available };
    const now = Date.now();
    const copyDue = this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE stock SET on_hand = on_hand + ?, sold = sold - ? WHERE id = 1", qty, qty);
      this.sql.exec("INSERT INTO operations (id, at, body) VALUES (?, ?, ?)", operationId, now, body);
      return owePostgresCopy(this.sql, this.log("restock", qty, reason, operationId), now);
    });
    await this.scheduleAlarm(copyDue);
    return { ok: true, changed: true, snapshot: this.snapshot() };
  }

  /** The product was deleted: no new holds or adjustments; existing holds can still settle. */
  retire(): StockSnapshot {
    if (this.row()?.retired === 0) this.sql.exec("UPDATE stock SET retired = 1 WHERE id = 1");
    return this.snapshot();
  }

  /** Current counters; `seq` is the last ledger entry, used to order Postgres writes. */
  snapshot(): StockSnapshot {
    // Holds past their expiry stop counting now, even if their alarm has not run yet.
    this.expireDue(Date.now());
    return readSnapshot(this.sql);
  }

  /**
   * The ledger, newest first: at most `limit` entries (1-101) older than
   * `beforeSeq` (from the newest when null). Due holds are expired first, so
   * their entries are there, as in `snapshot`.
   */
  ledger(beforeSeq: number | null, limit: number): LedgerEntry[] {
    this.expireDue(Date.now());
    return readLedger(this.sql, beforeSeq, Math.min(Math.max(Math.floor(limit), 1), 101));
  }

  /** Expires due holds (idempotent: alarms are at-least-once) and schedules the next one. */
  override async alarm(): Promise<void> {
    this.alarmAt = undefined; // this run consumed the alarm; set again below
    this.nextExpiry = undefined; // the alarm always looks at storage itself
    const now = Date.now();
    this.expireDue(now);
    // Before the next alarm is worked out: holds taken while the write is in flight count there.
    await copyToPostgresIfDue(this.sql, this.env, now);
    const purge = (table: string, condition: string) =>
      this.sql.exec(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${condition} LIMIT ?) RETURNING 1`, now - KEEP_CLOSED_MS, PURGE_BATCH).toArray().length;
    const purged = Math.max(
      purge("reservations", "state != 'held' AND closed_at < ?"),
      purge("operations", "at < ?"),
      // The newest entry stays whatever its age: its seq orders this SKU's Postgres writes (`snapshot`).
      purge("ledger", `${HOLD_KINDS} AND at < ? AND seq < (SELECT max(seq) FROM ledger)`),
    );
    const next = this.earliestHeldExpiry();
    // A purge backlog runs again at once (after calls waiting meanwhile); else the next due hold, one step away at the soonest,
    // or the copy Postgres is owed, or the purge of closed rows.
    const copyDue = postgresCopyDueAt(this.sql);
    const keep = () => (this.sql.exec("SELECT 1 FROM reservations LIMIT 1").toArray().length > 0 ? now + KEEP_CLOSED_MS : null);
    const at = purged >= PURGE_BATCH ? now : earliest(next === null ? null : Math.max(next, now + ALARM_STEP_MS), copyDue) ?? keep();
    if (at !== null) await this.setAlarm(at);
  }

  private expireDue(now: number): void {
    if (this.nextExpiry === null || (this.nextExpiry !== undefined && this.nextExpiry > now)) return;
    // Three statements however many holds are due: mark them (oldest first, one batch), give their units back, log each.
    this.ctx.storage.transactionSync(() => {
      const expired = this.sql
        .exec<{ id: string; qty: number }>(
          "UPDATE reservations SET state = 'expired', closed_at = ? WHERE rowid IN (SELECT rowid FROM reservations WHERE state = 'held' AND expires_at <= ? ORDER BY expires_at LIMIT ?) RETURNING id, qty",
          now,
          now,
          EXPIRE_BATCH,
        )
        .toArray();
      if (expired.length === 0) return;
      this.sql.exec("UPDATE stock SET reserved = reserved - ? WHERE id = 1", expired.reduce((n, r) => n + r.qty, 0));
      this.sql.exec(
        "INSERT INTO ledger (kind, delta, reason, ref, at) SELECT 'expire', j.value ->> '$.qty', 'hold expired', j.value ->> '$.id', ? FROM json_each(?) AS j ORDER BY j.key",
        Date.now(),
        JSON.stringify(expired),
      );
    });
    this.nextExpiry = this.earliestHeldExpiry();
  }

  /**
   * Sets the alarm for the earliest due hold or owed Postgres copy when none
   * is set: a change whose `setAlarm` failed, or an object reset between its
   * transaction and the alarm write, left work that only the alarm does.
   */
  private async keepAlarmSet(): Promise<void> {
    const due = earliest(this.earliestHeldExpiry(), postgresCopyDueAt(this.sql));
    if (due !== null) await this.scheduleAlarm(due);
  }

  private async scheduleAlarm(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > at) await this.setAlarm(at);
  }

  private async setAlarm(at: number): Promise<void> {
    this.alarmAt = undefined; // unknown until the write is done (a failed write leaves it unknown)
    await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  /** Inside a transaction: a held or expired hold becomes released (a held one stops counting), or a tombstone is left. */
  private close(r: ReservationRow | null, reservationId: string, now: number): void {
    if (!r) {
      this.sql.exec("INSERT INTO reservations (id, qty, expires_at, state, closed_at) VALUES (?, 0, ?, 'released', ?)", reservationId, now, now);
      return;
    }
    this.sql.exec("UPDATE reservations SET state = 'released', closed_at = ? WHERE id = ?", now, reservationId);
    if (r.state !== "held") return; // an expired hold gave its units back when it expired
    this.sql.exec("UPDATE stock SET reserved = reserved - ? WHERE id = 1", r.qty);
    this.log("release", r.qty, "released", reservationId);
  }

  /** When the first held reservation expires (null: none held). */
  private earliestHeldExpiry(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM reservations WHERE state = 'held'").one().at;
  }

  private row(): StockRow | null {
    return readStock(this.sql);
  }

  private reservation(id: string): ReservationRow | null {
    return readReservation(this.sql, id);
  }

  private seenOperation(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM operations WHERE id = ?", id).toArray().length > 0;
  }

  /** Appends to the ledger; returns the entry's sequence number. */
  private log(kind: LedgerKind, delta: number, reason: string, ref: string | null): number {
    return this.sql.exec<{ seq: number }>("INSERT INTO ledger (kind, delta, reason, ref, at) VALUES (?, ?, ?, ?, ?) RETURNING seq", kind, delta, reason, ref, Date.now()).one().seq;
  }
}

/** The earlier of two times, either of which may be absent. */
function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
