/// <reference types="@cloudflare/vitest-plugin/types" />
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { StockDO } from "../../../durable/stock-do.ts";
import { POSTGRES_COPY_DELAY_MS } from "../../../durable/stock-postgres-copy.ts";
import type { DatabaseEnv } from "../../../shared/db/client.ts";
import { httpDb } from "../../../shared/db/http.ts";
import { categories, inventory, products, variants } from "../../../shared/db/schema/index.ts";

/**
 * The StockDO's safety net under the Postgres inventory record: a change of
 * on hand whose copy never reached Postgres (here: the object called directly,
 * as if the catalog's write after the call had been lost) is written by the
 * object's alarm a minute later, and a failed copy is tried again with backoff.
 */
const stockEnv = env as unknown as DatabaseEnv & { STOCK: DurableObjectNamespace<StockDO> };
const db = () => httpDb(stockEnv);
let n = 0;

/** A SKU as the catalog creates it: Postgres rows (inventory at `onHand`, seq 0) and its StockDO. */
async function pgSku(tag: string, onHand: number) {
  const id = `${tag}-${Date.now().toString(36)}-${n++}`;
  const sku = `PC-${id}`;
  await db().batch([
    db().insert(categories).values({ id: `cat_${id}`, name: id, slug: `pc-${id}` }),
    db().insert(products).values({ id: `prd_${id}`, title: id, description: "", categoryId: `cat_${id}` }),
    db().insert(variants).values({ sku, productId: `prd_${id}`, title: id, priceAmount: 100, priceCurrency: "EUR", position: 0 }),
    db().insert(inventory).values({ sku, initial: onHand, onHand }),
  ]);
  const stub = stockEnv.STOCK.get(stockEnv.STOCK.idFromName(sku));
  await stub.initialise(sku, onHand, `prd_${id}`);
  return { sku, stub };
}

async function pgRow(sku: string) {
  const [row] = await db().select().from(inventory).where(eq(inventory.sku, sku));
  return row!;
}

type Owed = { seq: number; due_at: number; attempts: number };
const owed = (stub: DurableObjectStub<StockDO>) =>
  runInDurableObject(stub, (_i: StockDO, state) => state.storage.sql.exec<Owed>("SELECT seq, due_at, attempts FROM postgres_copy").toArray());
const makeDue = (stub: DurableObjectStub<StockDO>) =>
  runInDurableObject(stub, (_i: StockDO, state) => void state.storage.sql.exec("UPDATE postgres_copy SET due_at = ?", Date.now() - 1));

describe("StockDO copy to Postgres", () => {
  it("writes a lost copy a minute after the change of on hand, and then owes nothing", async () => {
    const { sku, stub } = await pgSku("lost", 10);
    expect(await owed(stub)).toStrictEqual([]); // the initial stock is written with the product
    const before = Date.now();
    await stub.adjust(5, "supplier delivery", "op1");
    const [first] = await owed(stub);
    expect(first!.due_at).toBeGreaterThanOrEqual(before + POSTGRES_COPY_DELAY_MS);
    expect(await runInDurableObject(stub, (_i: StockDO, state) => state.storage.getAlarm())).toBeLessThanOrEqual(first!.due_at);
    // A sale later keeps the due time (a hot SKU is checked once a minute) and raises the seq owed.
    await stub.reserve("r1", 2, 600);
    await stub.commit("r1");
    const snapshot = await stub.snapshot();
    expect(await owed(stub)).toStrictEqual([{ seq: snapshot.seq, due_at: first!.due_at, attempts: 0 }]);
    expect(await pgRow(sku)).toMatchObject({ onHand: 10, sold: 0, seq: 0 }); // nobody wrote: the lost copy

    await makeDue(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await pgRow(sku)).toMatchObject({ initial: 10, adjusted: 5, onHand: 13, sold: 2, seq: snapshot.seq });
    expect(await owed(stub)).toStrictEqual([]);
    // Nothing owed and nothing held: the alarm left is the purge of the closed reservation, a week out.
    expect(await runInDurableObject(stub, (_i: StockDO, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
  });

  it("copies counters past 2^31 (Postgres keeps them as bigint, as the object does)", async () => {
    const { sku, stub } = await pgSku("wide", 1_000_000);
    await stub.adjust(3_000_000_000, "a very large delivery", "op1");
    await makeDue(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await pgRow(sku)).toMatchObject({ initial: 1_000_000, adjusted: 3_000_000_000, onHand: 3_001_000_000 });
  });

  it("keeps a newer copy the catalog already wrote (the write is guarded by seq)", async () => {
    const { sku, stub } = await pgSku("newer", 10);
    await stub.adjust(-1, "damaged", "op1");
    await db().update(inventory).set({ onHand: 9, adjusted: -1, seq: 1_000_000 }).where(eq(inventory.sku, sku));
    await makeDue(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await pgRow(sku)).toMatchObject({ onHand: 9, seq: 1_000_000 });
    expect(await owed(stub)).toStrictEqual([]);
  });

  it("retries a failed copy with backoff, and expires holds meanwhile", async () => {
    const { sku, stub } = await pgSku("down", 10);
    await stub.adjust(3, "supplier delivery", "op1");
    await stub.reserve("gone", 4, 600);
    await runInDurableObject(stub, (_i: StockDO, state) => void state.storage.sql.exec("UPDATE reservations SET expires_at = ? WHERE id = 'gone'", Date.now() - 1));
    await makeDue(stub);
    const ranAt = Date.now();
    // Postgres unreachable for this run of the alarm.
    await runInDurableObject(stub, async (instance: StockDO) => {
      const self = instance as unknown as { env: DatabaseEnv };
      const real = self.env;
      self.env = { DATABASE_URL: "postgresql://edgeshop:edgeshop@127.0.0.1:9/edgeshop", NEON_WS_PROXY: real.NEON_WS_PROXY };
      try {
        await instance.alarm();
      } finally {
        self.env = real;
      }
    });
    const [retry] = await owed(stub);
    expect(retry!.attempts).toBe(1);
    expect(retry!.due_at).toBeGreaterThanOrEqual(ranAt + 2 * POSTGRES_COPY_DELAY_MS);
    expect(await runInDurableObject(stub, (_i: StockDO, state) => state.storage.getAlarm())).toBe(retry!.due_at);
    expect(await stub.snapshot()).toMatchObject({ onHand: 13, reserved: 0, available: 13 });
    expect(await pgRow(sku)).toMatchObject({ onHand: 10, seq: 0 });

    // Postgres back: the next due run writes the copy.
    await makeDue(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await pgRow(sku)).toMatchObject({ initial: 10, adjusted: 3, onHand: 13, sold: 0 });
    expect(await owed(stub)).toStrictEqual([]);
  });
});
