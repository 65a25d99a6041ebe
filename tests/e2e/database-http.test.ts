import { sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { isUniqueViolation, openDb } from "../../shared/db/client.ts";
import { httpDb } from "../../shared/db/http.ts";
import { paymentWebhookEvents } from "../../shared/db/schema/index.ts";
import { unique } from "./client.ts";

/**
 * Neon's HTTP query path (drizzle `neon-http`) against the real database,
 * through the local proxy's `POST /sql` (scripts/neon-http-sql.ts): types come
 * back as the driver parses them, Postgres errors keep their SQLSTATE and
 * constraint, a batch is one transaction, and an unreachable database fails
 * the call.
 */
const env = () => ({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });

describe("Postgres over the HTTP query path", () => {
  it("returns typed values, nulls and arrays (timestamps as Postgres text: drizzle maps them per column)", async () => {
    const rows = await httpDb(env()).execute<Record<string, unknown>>(
      sql`select 7::int as i, 'x'::text as t, ${"2026-11-26T10:00:00Z"}::timestamptz as ts, '{"a":[1,2]}'::jsonb as j, null::text as n, array[1,2]::int[] as arr, true as b`,
    );
    expect(rows.rows).toStrictEqual([{ i: 7, t: "x", ts: "2026-11-26 10:00:00+00", j: { a: [1, 2] }, n: null, arr: [1, 2], b: true }]);
  });

  it("writes what a WebSocket session reads, and reports a unique violation with its constraint", async () => {
    const db = httpDb(env());
    const id = unique("evt_http");
    await db.insert(paymentWebhookEvents).values({ id, type: "payment.captured", paymentId: "pay_http" });
    const again = await db.insert(paymentWebhookEvents).values({ id, type: "payment.captured", paymentId: "pay_http" }).catch((e: unknown) => e);
    expect(isUniqueViolation(again, "payment_webhook_events_pkey")).toBe(true);
    const { db: session, pool } = openDb(env());
    try {
      const read = await session.select().from(paymentWebhookEvents).where(sql`${paymentWebhookEvents.id} = ${id}`);
      expect(read.map((r) => [r.id, r.paymentId])).toStrictEqual([[id, "pay_http"]]);
    } finally {
      await pool.end();
    }
  });

  it("runs a batch as one transaction: a failing statement undoes the ones before it", async () => {
    const db = httpDb(env());
    const first = unique("evt_batch");
    const taken = unique("evt_taken");
    await db.insert(paymentWebhookEvents).values({ id: taken, type: "payment.captured", paymentId: "pay_b" });
    const failed = await db
      .batch([
        db.insert(paymentWebhookEvents).values({ id: first, type: "payment.captured", paymentId: "pay_b" }),
        db.insert(paymentWebhookEvents).values({ id: taken, type: "payment.captured", paymentId: "pay_b" }),
      ])
      .catch((e: unknown) => e);
    expect(isUniqueViolation(failed)).toBe(true);
    const left = await db.select().from(paymentWebhookEvents).where(sql`${paymentWebhookEvents.id} in (${first}, ${taken})`);
    expect(left.map((r) => r.id)).toStrictEqual([taken]);
    const [a, b] = await db.batch([
      db.insert(paymentWebhookEvents).values({ id: first, type: "payment.refunded", paymentId: "pay_b" }).returning({ id: paymentWebhookEvents.id }),
      db.select({ n: sql<number>`count(*)::int` }).from(paymentWebhookEvents).where(sql`${paymentWebhookEvents.id} in (${first}, ${taken})`),
    ]);
    expect([a, b]).toStrictEqual([[{ id: first }], [{ n: 2 }]]);
  });

  it("fails the call when the database is unreachable", async () => {
    const dead = { ...env(), DATABASE_URL: "postgresql://edgeshop:edgeshop@127.0.0.1:9/edgeshop" };
    await expect(httpDb(dead).execute(sql`select 1`)).rejects.toThrow();
  });
});
