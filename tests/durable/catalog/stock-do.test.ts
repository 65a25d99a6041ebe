/// <reference types="@cloudflare/vitest-plugin/types" />
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StockDO } from "../../../durable/stock-do.ts";
import { RECONCILE_RESERVED, STOCK_UPGRADES, type StockSnapshot } from "../../../durable/stock-model.ts";
import { commitAll } from "../../../workers/catalog/src/settle.ts";
import { reserveAll, type StockOf, type StockStub } from "../../../workers/catalog/src/stock.ts";
import { countingSql } from "../../support/rows-read.ts";

const stockEnv = env as unknown as { STOCK: DurableObjectNamespace<StockDO> };
let n = 0;
const uniqueSku = (tag: string) => `T-${tag}-${Date.now().toString(36)}-${n++}`;
const stubFor = (sku: string) => stockEnv.STOCK.get(stockEnv.STOCK.idFromName(sku));
const stockOf: StockOf = (sku) => stubFor(sku) as unknown as StockStub;

async function fresh(tag: string, onHand: number) {
  const sku = uniqueSku(tag);
  const stub = stubFor(sku);
  await stub.initialise(sku, onHand, "prd_test");
  return { sku, stub };
}

/** The bank invariant plus non-negativity, from the DO's own tables. */
async function assertInvariant(stub: DurableObjectStub<StockDO>): Promise<StockSnapshot> {
  const s = await stub.snapshot();
  expect(s.onHand).toBeGreaterThanOrEqual(0);
  expect(s.available).toBeGreaterThanOrEqual(0);
  expect(s.available).toBe(s.onHand - s.reserved);
  expect(s.initial + s.adjusted).toBe(s.onHand + s.sold);
  const held = await runInDurableObject(stub, (_i: StockDO, state) =>
    state.storage.sql.exec<{ n: number }>("SELECT coalesce(sum(qty), 0) AS n FROM reservations WHERE state = 'held' AND expires_at > ?", Date.now()).one().n,
  );
  expect(held).toBe(s.reserved);
  return s;
}

async function ledgerKinds(stub: DurableObjectStub<StockDO>): Promise<string[]> {
  return runInDurableObject(stub, (_i: StockDO, state) => state.storage.sql.exec<{ kind: string }>("SELECT kind FROM ledger ORDER BY seq").toArray().map((r) => r.kind));
}

describe("StockDO", () => {
  it("initialises once; a second initialise changes nothing", async () => {
    const { sku, stub } = await fresh("init", 10);
    const again = await stub.initialise(sku, 99, "prd_other");
    expect(again).toMatchObject({ sku, productId: "prd_test", status: "active", onHand: 10, reserved: 0, available: 10, sold: 0, initial: 10 });
    expect(await ledgerKinds(stub)).toStrictEqual(["init"]);
  });

  it("reports an uninitialised SKU as unknown", async () => {
    const stub = stubFor(uniqueSku("none"));
    expect(await stub.reserve("r1", 1, 60)).toStrictEqual({ ok: false, reason: "unknown", available: 0 });
    expect((await stub.snapshot()).status).toBe("uninitialised");
  });

  it("reserve, commit and release are idempotent by id", async () => {
    const { stub } = await fresh("idem", 10);
    const first = await stub.reserve("r1", 3, 60);
    const retry = await stub.reserve("r1", 3, 60);
    expect(first.ok && retry.ok && retry.expiresAt === first.expiresAt).toBe(true);
    expect((await stub.snapshot()).available).toBe(7);
    expect(await stub.commit("r1")).toMatchObject({ ok: true, changed: true, qty: 3 });
    expect(await stub.commit("r1")).toMatchObject({ ok: true, changed: false, qty: 3 });
    expect(await stub.release("r1")).toMatchObject({ ok: true, changed: false });
    const s = await assertInvariant(stub);
    expect(s).toMatchObject({ onHand: 7, sold: 3, reserved: 0, available: 7 });
    expect(await ledgerKinds(stub)).toStrictEqual(["init", "reserve", "commit"]);
  });

  it("refuses a reservation id used before with another quantity, holding only what the first call asked", async () => {
    const { stub } = await fresh("reserveKey", 10);
    expect(await stub.reserve("r1", 2, 60)).toMatchObject({ ok: true });
    expect(await stub.reserve("r1", 5, 60)).toStrictEqual({ ok: false, reason: "mismatch", available: 8 });
    await stub.commit("r1");
    expect(await stub.reserve("r1", 3, 60)).toStrictEqual({ ok: false, reason: "mismatch", available: 8 });
    expect(await stub.reserve("r1", 2, 60)).toMatchObject({ ok: true });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 8, sold: 2, reserved: 0 });
  });

  it("a release before the reserve leaves a tombstone, so a late reserve holds nothing", async () => {
    const { stub } = await fresh("tomb", 5);
    expect(await stub.release("late")).toMatchObject({ ok: true, changed: false });
    expect(await stub.reserve("late", 2, 60)).toStrictEqual({ ok: false, reason: "closed", available: 5 });
    expect((await assertInvariant(stub)).available).toBe(5);
  });

  it("undo takes a sale back once and closes the reservation for good", async () => {
    const { stub } = await fresh("undo", 5);
    await stub.reserve("r1", 2, 60);
    await stub.commit("r1");
    expect(await stub.undo("r1", "commit undone")).toMatchObject({ ok: true, changed: true });
    expect(await stub.undo("r1", "commit undone")).toMatchObject({ ok: true, changed: false });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 5, sold: 0, reserved: 0 });
    // A retried checkout can neither sell nor hold what was given back.
    expect(await stub.commit("r1")).toStrictEqual({ ok: false, reason: "closed", available: 5 });
    expect(await stub.reserve("r1", 2, 60)).toStrictEqual({ ok: false, reason: "closed", available: 5 });
    expect(await ledgerKinds(stub)).toStrictEqual(["init", "reserve", "commit", "restock"]);
  });

  it("undo releases a live hold, and leaves a tombstone for an unknown id", async () => {
    const { stub } = await fresh("undoHeld", 5);
    await stub.reserve("r1", 3, 60);
    expect(await stub.undo("r1", "commit undone")).toMatchObject({ ok: true, changed: true });
    expect(await stub.undo("never", "commit undone")).toMatchObject({ ok: true, changed: false });
    expect(await stub.reserve("never", 1, 60)).toMatchObject({ ok: false, reason: "closed" });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 5, reserved: 0, sold: 0 });
  });

  it("undo after the previous release's restock of the same sale only closes the reservation", async () => {
    const { stub } = await fresh("undoOld", 5);
    await stub.reserve("r1", 2, 60);
    await stub.commit("r1");
    await stub.restock("r1:undo", 2, "commit undone: another SKU failed"); // what the release before did
    expect(await stub.undo("r1", "commit undone")).toMatchObject({ ok: true, changed: false });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 5, sold: 0 });
    expect(await stub.commit("r1")).toMatchObject({ ok: false, reason: "closed" });
  });

  it("a released expired hold is closed: a late commit can not sell it", async () => {
    const { stub } = await fresh("relExp", 5);
    await stub.reserve("r1", 2, 60);
    await runInDurableObject(stub, async (_i: StockDO, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = ?", Date.now() - 1);
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
    expect(await stub.release("r1")).toMatchObject({ ok: true, changed: false });
    expect(await stub.commit("r1")).toStrictEqual({ ok: false, reason: "closed", available: 5 });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 5, sold: 0 });
  });

  it("a replayed commit sets the alarm a failed first call left unset, so Postgres still gets its copy", async () => {
    const { stub } = await fresh("alarmLost", 5);
    await stub.reserve("r1", 1, 3600);
    await stub.commit("r1");
    // As when the commit's alarm write failed after its transaction: no alarm, and the instance does not know it.
    await runInDurableObject(stub, async (instance: StockDO, state) => {
      await state.storage.deleteAlarm();
      (instance as unknown as { alarmAt: number | null | undefined }).alarmAt = undefined;
    });
    expect(await stub.commit("r1")).toMatchObject({ ok: true, changed: false });
    const owed = await runInDurableObject(stub, (_i: StockDO, state) => state.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM postgres_copy").one().due_at);
    expect(await runInDurableObject(stub, (_i: StockDO, state) => state.storage.getAlarm())).toBeLessThanOrEqual(owed);
  });

  it("refuses a hold larger than what is available", async () => {
    const { stub } = await fresh("short", 4);
    expect(await stub.reserve("a", 3, 60)).toMatchObject({ ok: true });
    expect(await stub.reserve("b", 2, 60)).toStrictEqual({ ok: false, reason: "insufficient", available: 1 });
    await assertInvariant(stub);
  });

  it("expires holds through the alarm, exactly once even when the alarm runs again", async () => {
    const { stub } = await fresh("expiry", 10);
    await stub.reserve("r1", 4, 60);
    await runInDurableObject(stub, (_i: StockDO, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = ?", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (_i: StockDO, state) => state.storage.setAlarm(Date.now() + 60_000));
    await runDurableObjectAlarm(stub);
    expect(await ledgerKinds(stub)).toStrictEqual(["init", "reserve", "expire"]);
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 10, reserved: 0, available: 10 });
    // An expired hold can still be sold while the units are there.
    expect(await stub.commit("r1")).toMatchObject({ ok: true, changed: true, qty: 4 });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 6, sold: 4 });
  });

  it("works off a backlog of due holds in batches, the alarm running again until none is left", async () => {
    const { stub } = await fresh("backlog", 1000);
    const heldCount = () => runInDurableObject(stub, (_i: StockDO, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservations WHERE state = 'held'").one().n);
    await runInDurableObject(stub, (_i: StockDO, state) => {
      const past = Date.now() - 1;
      for (let i = 0; i < 600; i++) state.storage.sql.exec("INSERT INTO reservations (id, qty, expires_at, state, closed_at) VALUES (?, 1, ?, 'held', NULL)", `b${i}`, past);
      state.storage.sql.exec("UPDATE stock SET reserved = reserved + 600 WHERE id = 1");
    });
    await runInDurableObject(stub, async (_i: StockDO, state) => state.storage.setAlarm(Date.now()));
    const remaining: number[] = [];
    for (let run = 0; run < 10 && (remaining.at(-1) ?? 1) > 0; run++) {
      await runDurableObjectAlarm(stub);
      remaining.push(await heldCount());
    }
    // One batch of 256 per run (a long backlog never becomes one long transaction), the alarm set again while holds
    // are due. It may also fire on its own between these runs, or still be running when a count reads, so each count
    // shows a whole number of batches done rather than exactly one per run.
    expect(remaining.every((n) => [600, 600 - 256, 600 - 512, 0].includes(n)), remaining.join(",")).toBe(true);
    expect(remaining.at(-1)).toBe(0);
    const expiries = await runInDurableObject(stub, (_i: StockDO, state) =>
      state.storage.sql.exec<{ delta: number; ref: string; reason: string }>("SELECT delta, ref, reason FROM ledger WHERE kind = 'expire' ORDER BY seq").toArray(),
    );
    expect(expiries).toHaveLength(600);
    expect(new Set(expiries.map((e) => e.ref)).size).toBe(600);
    expect(expiries.every((e) => e.delta === 1 && e.reason === "hold expired" && /^b\d+$/.test(e.ref))).toBe(true);
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 1000, reserved: 0, available: 1000 });
  });

  it("an alarm run reads only the rows it expires or purges, however many closed ones the object keeps", async () => {
    const { stub } = await fresh("purge-index", 100);
    await stub.reserve("live", 1, 3600);
    const rowsRead = await runInDurableObject(stub, async (instance: StockDO, state) => {
      const now = Date.now();
      // A week of a busy SKU's settled holds and adjustments, all still inside their keep time.
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO reservations (id, qty, expires_at, state, closed_at) SELECT 'old-' || i, 1, ? - i, 'committed', ? - i FROM n`,
        now, now,
      );
      state.storage.sql.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO operations (id, at) SELECT 'op-' || i, ? - i FROM n`, now);
      // And its ledger: years of sales kept for good, and the week's hold entries, all older than the live hold's.
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO ledger (seq, kind, delta, reason, ref, at) SELECT -20000 + i, 'commit', -1, 'sold', 'sale-' || i, ? - 400 * 86400000 + i FROM n`,
        now,
      );
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO ledger (seq, kind, delta, reason, ref, at) SELECT -10000 + i, 'reserve', -1, 'reserved', 'old-' || i, ? - i FROM n`,
        now,
      );
      const real = state.storage.sql;
      const counted = countingSql(real);
      const self = instance as unknown as { sql: SqlStorage };
      self.sql = counted.sql;
      try {
        await instance.alarm();
      } finally {
        self.sql = real;
      }
      return counted.rowsRead();
    });
    expect(rowsRead).toBeLessThan(50);
    expect(await assertInvariant(stub)).toMatchObject({ reserved: 1 });
  });

  it("runs its alarm at most every quarter second while holds keep coming due (a hot SKU)", async () => {
    const { stub } = await fresh("alarm-step", 100);
    await stub.reserve("soon", 1, 60);
    await stub.reserve("later", 1, 60);
    await runInDurableObject(stub, async (_i: StockDO, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = ? WHERE id = 'soon'", Date.now() - 1);
      state.storage.sql.exec("UPDATE reservations SET expires_at = ? WHERE id = 'later'", Date.now() + 5);
    });
    // The alarm the holds scheduled (a minute out), run now.
    const ranAt = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const next = await runInDurableObject(stub, (_i: StockDO, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThanOrEqual(ranAt + 250);
    // A hold past its expiry stops counting at the next call all the same, before the alarm.
    await new Promise((r) => setTimeout(r, 10));
    expect(await assertInvariant(stub)).toMatchObject({ reserved: 0, available: 100 });
  });

  it("adjusts within available only, idempotent by operation id", async () => {
    const { stub } = await fresh("adjust", 5);
    await stub.reserve("r1", 3, 60);
    expect(await stub.adjust(-3, "damaged")).toStrictEqual({ ok: false, reason: "insufficient", available: 2 });
    expect(await stub.adjust(-2, "damaged", "op1")).toMatchObject({ ok: true, changed: true });
    expect(await stub.adjust(-2, "damaged", "op1")).toMatchObject({ ok: true, changed: false });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 3, available: 0, adjusted: -2 });
  });

  it("refuses an adjustment's operation id used before with another delta or reason", async () => {
    const { stub } = await fresh("adjustKey", 5);
    expect(await stub.adjust(2, "delivery", "adj:admin:k1")).toMatchObject({ ok: true, changed: true });
    expect(await stub.adjust(2, "delivery", "adj:admin:k1")).toMatchObject({ ok: true, changed: false });
    expect(await stub.adjust(3, "delivery", "adj:admin:k1")).toStrictEqual({ ok: false, reason: "mismatch", available: 7 });
    expect(await stub.adjust(2, "returns", "adj:admin:k1")).toStrictEqual({ ok: false, reason: "mismatch", available: 7 });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 7, adjusted: 2 });
  });

  it("restocks sold units once per operation id and never more than were sold", async () => {
    const { stub } = await fresh("restock", 5);
    await stub.reserve("r1", 2, 60);
    await stub.commit("r1");
    expect(await stub.restock("cancel-1", 3, "too many")).toMatchObject({ ok: false, reason: "insufficient" });
    expect(await stub.restock("cancel-1", 2, "order cancelled")).toMatchObject({ ok: true, changed: true });
    expect(await stub.restock("cancel-1", 2, "order cancelled")).toMatchObject({ ok: true, changed: false });
    expect(await stub.restock("cancel-1", 1, "order cancelled")).toStrictEqual({ ok: false, reason: "mismatch", available: 5 });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 5, sold: 0 });
  });

  it("reports its ledger newest first, with reasons and references, page by page", async () => {
    const { stub } = await fresh("ledger", 10);
    await stub.adjust(5, "supplier delivery", "op1");
    await stub.reserve("r1", 2, 60);
    await stub.commit("r1");
    await stub.reserve("r2", 1, 60);
    await stub.release("r2");
    await stub.reserve("r3", 4, 60);
    await runInDurableObject(stub, (_i: StockDO, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = ? WHERE id = 'r3'", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await stub.restock("cancel-1", 2, "order cancelled");
    const all = await stub.ledger(null, 100);
    expect(all.map(({ kind, delta, reason, ref }) => ({ kind, delta, reason, ref }))).toStrictEqual([
      { kind: "restock", delta: 2, reason: "order cancelled", ref: "cancel-1" },
      { kind: "expire", delta: 4, reason: "hold expired", ref: "r3" },
      { kind: "reserve", delta: -4, reason: "reserved", ref: "r3" },
      { kind: "release", delta: 1, reason: "released", ref: "r2" },
      { kind: "reserve", delta: -1, reason: "reserved", ref: "r2" },
      { kind: "commit", delta: -2, reason: "sold", ref: "r1" },
      { kind: "reserve", delta: -2, reason: "reserved", ref: "r1" },
      { kind: "adjust", delta: 5, reason: "supplier delivery", ref: "op1" },
      { kind: "init", delta: 10, reason: "initial stock", ref: null },
    ]);
    expect(all.every((e, i) => i === 0 || e.seq < all[i - 1]!.seq)).toBe(true);
    expect(all.every((e) => Math.abs(e.at - Date.now()) < 60_000)).toBe(true);
    // Pages: `limit` newest entries, then those before the last seq seen; together exactly the ledger.
    const first = await stub.ledger(null, 4);
    const second = await stub.ledger(first.at(-1)!.seq, 4);
    const third = await stub.ledger(second.at(-1)!.seq, 4);
    expect([...first, ...second, ...third]).toStrictEqual(all);
    expect(third).toHaveLength(1);
    // The bank invariant, from the ledger alone: initial + adjustments + restocks - sales = on hand.
    const onHand = all.filter((e) => ["init", "adjust", "commit", "restock"].includes(e.kind)).reduce((n, e) => n + e.delta, 0);
    expect(await assertInvariant(stub)).toMatchObject({ onHand, reserved: 0 });
  });

  it("purges a closed hold's ledger entries with the reservation after a week, and keeps what moves on hand for good", async () => {
    const { stub } = await fresh("ledger-keep", 10);
    await stub.adjust(5, "supplier delivery", "op1");
    await stub.reserve("r1", 2, 60);
    await stub.commit("r1");
    await stub.reserve("r2", 1, 60);
    await stub.release("r2");
    await stub.restock("cancel-1", 2, "order cancelled");
    await stub.reserve("r3", 1, 60);
    await stub.release("r3");
    const before = await assertInvariant(stub);
    // Eight days pass for everything above, so all of it is past the week a closed reservation is kept.
    const eightDays = 8 * 24 * 3600 * 1000;
    await runInDurableObject(stub, (_i: StockDO, state) => {
      state.storage.sql.exec("UPDATE ledger SET at = at - ?", eightDays);
      state.storage.sql.exec("UPDATE reservations SET closed_at = closed_at - ?", eightDays);
      state.storage.sql.exec("UPDATE operations SET at = at - ?", eightDays);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const kept = await stub.ledger(null, 100);
    // The newest entry stays whatever its kind: the snapshot's seq (which orders Postgres writes) must not go back.
    expect(kept.map((e) => [e.kind, e.ref])).toStrictEqual([["release", "r3"], ["restock", "cancel-1"], ["commit", "r1"], ["adjust", "op1"], ["init", null]]);
    const after = await assertInvariant(stub);
    expect(after).toStrictEqual(before);
    const onHand = kept.filter((e) => ["init", "adjust", "commit", "restock"].includes(e.kind)).reduce((n, e) => n + e.delta, 0);
    expect(onHand).toBe(after.onHand);
    // The reservations went with their entries, so a retry of r2 now is a new hold; a fresh hold's entries are kept.
    await stub.reserve("r4", 1, 60);
    expect((await stub.ledger(null, 1))[0]).toMatchObject({ kind: "reserve", ref: "r4" });
    expect((await stub.snapshot()).seq).toBeGreaterThan(after.seq);
  });

  it("a retired SKU takes no new holds but settles existing ones", async () => {
    const { stub } = await fresh("retire", 5);
    await stub.reserve("r1", 1, 60);
    await stub.retire();
    expect(await stub.reserve("r2", 1, 60)).toMatchObject({ ok: false, reason: "unknown" });
    expect(await stub.commit("r1")).toMatchObject({ ok: true, changed: true });
  });

  it("upgrades an object from before stock.reserved: the column is added and filled from the held reservations", async () => {
    const { stub } = await fresh("upgrade", 1);
    const [reservedColumn] = STOCK_UPGRADES;
    if (!reservedColumn) throw new Error("no upgrade");
    const future = Date.now() + 60_000;
    const upgraded = await runInDurableObject(stub, (instance: StockDO, state) => {
      const sql = state.storage.sql;
      // The layout objects were created with before the counter existed.
      sql.exec("DROP TABLE stock");
      sql.exec(`CREATE TABLE stock (
        id INTEGER PRIMARY KEY CHECK (id = 1), sku TEXT NOT NULL, product_id TEXT, initial INTEGER NOT NULL,
        on_hand INTEGER NOT NULL CHECK (on_hand >= 0), sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
        adjusted INTEGER NOT NULL DEFAULT 0, retired INTEGER NOT NULL DEFAULT 0)`);
      sql.exec("INSERT INTO stock (id, sku, product_id, initial, on_hand, sold) VALUES (1, 'OLD-SKU', 'prd_old', 20, 16, 4)");
      sql.exec("DELETE FROM reservations");
      sql.exec("INSERT INTO reservations (id, qty, expires_at, state, closed_at) VALUES ('h1', 2, ?, 'held', NULL), ('h2', 3, ?, 'held', NULL)", future, future);
      sql.exec("INSERT INTO reservations (id, qty, expires_at, state, closed_at) VALUES ('c1', 4, ?, 'committed', ?), ('x1', 6, ?, 'released', ?)", future, Date.now(), future, Date.now());
      const before = reservedColumn.applies(sql);
      state.storage.transactionSync(() => reservedColumn.statements.forEach((stmt) => sql.exec(stmt)));
      return {
        before,
        after: reservedColumn.applies(sql),
        reserved: sql.exec<{ reserved: number }>("SELECT reserved FROM stock WHERE id = 1").one().reserved,
        snapshot: instance.snapshot(),
      };
    });
    expect(upgraded).toStrictEqual({
      before: true,
      after: false,
      reserved: 5,
      snapshot: { sku: "OLD-SKU", productId: "prd_old", status: "active", onHand: 16, reserved: 5, available: 11, sold: 4, initial: 20, adjusted: 0, seq: 1 },
    });
    // The upgraded object keeps counting: a release gives its units back.
    expect(await stub.release("h1")).toMatchObject({ ok: true, changed: true });
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 16, reserved: 3, available: 13 });
  });

  it("recounts `reserved` from the live holds at start (an older version may have run the object in between)", async () => {
    const { stub } = await fresh("recount", 10);
    await stub.reserve("r1", 2, 60);
    await stub.reserve("r2", 3, 60);
    const recounted = await runInDurableObject(stub, (instance: StockDO, state) => {
      const sql = state.storage.sql;
      // What a rollback to a version without the counter leaves behind: holds it did not count.
      sql.exec("UPDATE stock SET reserved = 1 WHERE id = 1");
      sql.exec(RECONCILE_RESERVED);
      return instance.snapshot();
    });
    expect(recounted).toMatchObject({ onHand: 10, reserved: 5, available: 5 });
    await assertInvariant(stub);
  });

  it("200 concurrent 1-unit holds race for 25 units: exactly 25 win", async () => {
    const { stub } = await fresh("race", 25);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => stub.reserve(`race-${i}`, 1, 60)));
    expect(results.filter((r) => r.ok)).toHaveLength(25);
    const s = await assertInvariant(stub);
    expect(s).toMatchObject({ onHand: 25, reserved: 25, available: 0 });
    const winners = results.flatMap((r, i) => (r.ok ? [`race-${i}`] : []));
    await Promise.all(winners.map((id) => stub.commit(id)));
    expect(await assertInvariant(stub)).toMatchObject({ onHand: 0, sold: 25, available: 0 });
  });

  it("keeps the invariant after random sequences of operations", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("reserve" as const), id: fc.integer({ min: 0, max: 7 }), qty: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constantFrom("commit" as const, "release" as const, "undo" as const, "expire" as const), id: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("adjust" as const), delta: fc.integer({ min: -8, max: 8 }).filter((d) => d !== 0), op: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("restock" as const), qty: fc.integer({ min: 1, max: 4 }), op: fc.integer({ min: 0, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 20 }), fc.array(op, { minLength: 1, maxLength: 25 }), async (initial, ops) => {
        const { stub } = await fresh("prop", initial);
        for (const o of ops) {
          if (o.kind === "reserve") await stub.reserve(`r${o.id}`, o.qty, 60);
          else if (o.kind === "commit") await stub.commit(`r${o.id}`);
          else if (o.kind === "release") await stub.release(`r${o.id}`);
          else if (o.kind === "undo") await stub.undo(`r${o.id}`, "random");
          else if (o.kind === "adjust") await stub.adjust(o.delta, "random", `a${o.op}`);
          else if (o.kind === "restock") await stub.restock(`s${o.op}`, o.qty, "random");
          else {
            await runInDurableObject(stub, (_i: StockDO, state) => void state.storage.sql.exec("UPDATE reservations SET expires_at = 0 WHERE id = ? AND state = 'held'", `r${o.id}`));
            await runInDurableObject(stub, async (_i: StockDO, state) => state.storage.setAlarm(Date.now()));
            await runDurableObjectAlarm(stub);
          }
          await assertInvariant(stub);
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe("reserveAll (multi-SKU, all or nothing)", () => {
  it("holds every SKU or none, naming every short SKU", async () => {
    const a = await fresh("mA", 10);
    const b = await fresh("mB", 1);
    const c = await fresh("mC", 0);
    const r = await reserveAll(stockOf, "cart-1", [{ sku: c.sku, quantity: 1 }, { sku: a.sku, quantity: 2 }, { sku: b.sku, quantity: 5 }], 60);
    expect(r).toStrictEqual({
      ok: false,
      error: {
        code: "OUT_OF_STOCK",
        detail: `Not enough stock for ${[b.sku, c.sku].sort().join(", ")}.`,
        errors: [b, c].sort((x, y) => (x.sku < y.sku ? -1 : 1)).map((x) => {
          const [requested, available] = x === b ? [5, 1] : [1, 0];
          return { path: x.sku, message: `${x.sku}: requested ${requested}, available ${available}`, sku: x.sku, requested, available };
        }),
      },
    });
    for (const s of [a, b, c]) expect((await assertInvariant(s.stub)).reserved).toBe(0);
  });

  it("succeeds across SKUs and is idempotent by reservation id", async () => {
    const a = await fresh("okA", 3);
    const b = await fresh("okB", 3);
    const items = [{ sku: a.sku, quantity: 1 }, { sku: b.sku, quantity: 2 }, { sku: a.sku, quantity: 1 }];
    const first = await reserveAll(stockOf, "cart-2", items, 60);
    const again = await reserveAll(stockOf, "cart-2", items, 60);
    expect(first.ok).toBe(true);
    expect(again).toStrictEqual(first);
    expect((await stubFor(a.sku).snapshot()).reserved).toBe(2);
    expect((await stubFor(b.sku).snapshot()).reserved).toBe(2);
  });

  it("refuses a reservation id used before with other quantities, leaving the first call's holds alone", async () => {
    const a = await fresh("mmA", 5);
    const b = await fresh("mmB", 5);
    expect((await reserveAll(stockOf, "cart-mm", [{ sku: a.sku, quantity: 1 }, { sku: b.sku, quantity: 1 }], 60)).ok).toBe(true);
    const r = await reserveAll(stockOf, "cart-mm", [{ sku: a.sku, quantity: 1 }, { sku: b.sku, quantity: 2 }], 60);
    expect(r).toMatchObject({ ok: false, error: { code: "CONFLICT" } });
    for (const s of [a, b]) expect((await assertInvariant(s.stub)).reserved).toBe(1);
  });

  it("names an unknown SKU with UNKNOWN_SKU and holds nothing", async () => {
    const a = await fresh("unkA", 3);
    const missing = `${a.sku}-zz-missing`;
    const r = await reserveAll(stockOf, "cart-3", [{ sku: a.sku, quantity: 1 }, { sku: missing, quantity: 1 }], 60);
    expect(r).toStrictEqual({ ok: false, error: { code: "UNKNOWN_SKU", detail: `Unknown SKU: ${missing}.`, errors: [{ path: missing, message: `${missing}: unknown SKU` }] } });
    expect((await assertInvariant(a.stub)).reserved).toBe(0);
  });

  it("releases everything when a StockDO call throws halfway", async () => {
    const a = await fresh("thrA", 5);
    const b = await fresh("thrB", 5);
    const c = await fresh("thrC", 5);
    const throwing: StockOf = (sku) => {
      const real = stockOf(sku);
      if (sku !== b.sku) return real;
      // The hold lands, then the call fails on the way back: the worst case.
      const reserve = async (id: string, qty: number, ttl: number) => {
        await real.reserve(id, qty, ttl);
        throw new Error("network connection lost");
      };
      return { reserve, release: (id: string) => real.release(id), snapshot: () => real.snapshot() } as unknown as StockStub;
    };
    const r = await reserveAll(throwing, "cart-4", [a, b, c].map((x) => ({ sku: x.sku, quantity: 2 })), 60);
    expect(r).toStrictEqual({ ok: false, error: { code: "SERVICE_UNAVAILABLE", detail: "Stock could not be reserved; nothing is held. Try again." } });
    for (const s of [a, b, c]) expect(await assertInvariant(s.stub)).toMatchObject({ reserved: 0, available: 5 });
  });
});

describe("commitAll (multi-SKU sale, all or nothing)", () => {
  /** Makes the hold due and runs the alarm, which expires it. */
  const expire = async (stub: DurableObjectStub<StockDO>, id: string) => {
    await runInDurableObject(stub, async (_i: StockDO, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = ? WHERE id = ?", Date.now() - 1, id);
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
  };
  /** `stockOf` whose StockDO for `sku` fails `method` on the way back, after the call landed. */
  const failingAfter = (sku: string, method: "commit" | "release"): StockOf => (s) => {
    const real = stockOf(s);
    if (s !== sku) return real;
    return new Proxy(real, {
      get: (target, prop) =>
        prop === method
          ? async (...args: unknown[]) => {
              await (target[method] as (...a: unknown[]) => Promise<unknown>)(...args);
              throw new Error("network connection lost");
            }
          : (target as unknown as Record<string | symbol, unknown>)[prop],
    });
  };

  it("a retry after a partial sale that threw takes back the SKU the first attempt sold", async () => {
    const a = await fresh("cA", 5);
    const b = await fresh("cB", 1);
    expect((await reserveAll(stockOf, "o-1", [{ sku: a.sku, quantity: 2 }, { sku: b.sku, quantity: 1 }], 60)).ok).toBe(true);
    // Attempt 1: A is sold, B's commit never answers (it did not land).
    const throwingB: StockOf = (s) => (s === b.sku ? ({ commit: () => Promise.reject(new Error("overloaded")) } as unknown as StockStub) : stockOf(s));
    await expect(commitAll(throwingB, "o-1", [a.sku, b.sku])).rejects.toThrow("overloaded");
    expect((await a.stub.snapshot()).sold).toBe(2);
    // B's hold expires and its unit goes to another shopper before the retry.
    await expire(b.stub, "o-1");
    expect((await reserveAll(stockOf, "o-2", [{ sku: b.sku, quantity: 1 }], 60)).ok).toBe(true);
    const retry = await commitAll(stockOf, "o-1", [a.sku, b.sku]);
    expect(retry.result).toMatchObject({ ok: false, error: { code: "OUT_OF_STOCK" } });
    expect(await assertInvariant(a.stub)).toMatchObject({ onHand: 5, sold: 0 });
    expect(await assertInvariant(b.stub)).toMatchObject({ onHand: 1, sold: 0, reserved: 1 });
  });

  it("a sale undone because another SKU failed stays undone when a retry finds that SKU's units back", async () => {
    const a = await fresh("uA", 5);
    const b = await fresh("uB", 1);
    await reserveAll(stockOf, "o-1", [{ sku: a.sku, quantity: 1 }, { sku: b.sku, quantity: 1 }], 60);
    await expire(b.stub, "o-1");
    await reserveAll(stockOf, "o-2", [{ sku: b.sku, quantity: 1 }], 60);
    expect((await commitAll(stockOf, "o-1", [a.sku, b.sku])).result).toMatchObject({ ok: false, error: { code: "OUT_OF_STOCK" } });
    expect((await a.stub.snapshot()).sold).toBe(0);
    // B's unit comes back (the other shopper gives up); a retry of o-1 must not sell A's unit, which went back on the shelf.
    await b.stub.release("o-2");
    expect((await commitAll(stockOf, "o-1", [a.sku, b.sku])).result).toMatchObject({ ok: false, error: { code: "OUT_OF_STOCK" } });
    expect(await assertInvariant(a.stub)).toMatchObject({ onHand: 5, sold: 0, reserved: 0 });
    expect(await assertInvariant(b.stub)).toMatchObject({ onHand: 1, sold: 0, reserved: 0 });
  });

  it("rethrows a commit that failed with none refused, and the retry completes the sale", async () => {
    const a = await fresh("tA", 3);
    const b = await fresh("tB", 3);
    await reserveAll(stockOf, "o-1", [{ sku: a.sku, quantity: 1 }, { sku: b.sku, quantity: 1 }], 60);
    await expect(commitAll(failingAfter(b.sku, "commit"), "o-1", [a.sku, b.sku])).rejects.toThrow("network connection lost");
    expect((await commitAll(stockOf, "o-1", [a.sku, b.sku])).result).toStrictEqual({ ok: true, value: null });
    for (const x of [a, b]) expect(await assertInvariant(x.stub)).toMatchObject({ onHand: 2, sold: 1 });
  });

  it("reserveAll says a hold may remain when a release after a refusal fails", async () => {
    const a = await fresh("rfA", 5);
    const b = await fresh("rfB", 0);
    const r = await reserveAll(failingAfter(a.sku, "release"), "o-1", [{ sku: a.sku, quantity: 1 }, { sku: b.sku, quantity: 1 }], 60);
    expect(r).toMatchObject({ ok: false, error: { code: "SERVICE_UNAVAILABLE" } });
    expect(r.ok === false && r.error.detail).toContain("a hold may remain");
  });
});
