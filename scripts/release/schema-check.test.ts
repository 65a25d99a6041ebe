/**
 * The release scripts' migration check against a real Postgres (PGlite in
 * this process): an empty database lacks every shipped migration, a migrated
 * one none, and one a migration behind exactly that one.
 */
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../db.ts";
import { startPglite } from "../local-db.ts";
import { startWsProxy } from "../neon-ws-proxy.ts";
import { freePort } from "../ports.ts";
import { databaseSchemaReady, appliedMigrations, missingMigrations, shippedMigrations, type Query } from "./schema-check.ts";

const pg = new PGlite();
const query: Query = async (sql) => (await pg.query<Record<string, unknown>>(sql)).rows;
afterAll(() => pg.close());


describe("database migration check", { timeout: 60_000 }, () => {
  it("finds every shipped migration missing before migrating, none after, and any one whose journal row is absent", async () => {
    const shipped = shippedMigrations();
    expect(shipped.length).toBeGreaterThan(10);
    expect(missingMigrations(shipped, await appliedMigrations(query))).toStrictEqual(shipped);

    await migrate(drizzle(pg), { migrationsFolder: new URL("../../migrations", import.meta.url).pathname });
    expect(missingMigrations(shipped, await appliedMigrations(query))).toStrictEqual([]);

    // as a database looks when the newest migration was never applied (its journal row absent),
    // and one merged out of order: older than the newest applied, yet never applied
    const newest = shipped.at(-1)!;
    const middle = shipped[5]!;
    await pg.query("delete from drizzle.__drizzle_migrations where created_at = $1 or created_at = $2", [newest.when, middle.when]);
    expect(missingMigrations(shipped, await appliedMigrations(query))).toStrictEqual([middle, newest]);
  });

  it("refuses a release over the Neon driver while the database is unmigrated, and passes it after db:migrate", async () => {
    const db = await startPglite(await freePort());
    const lines: string[] = [];
    try {
      expect(await databaseSchemaReady(db.url, (l) => lines.push(l))).toBe(false);
      expect(lines.at(-1)).toMatch(/^REFUSED: the database at 127\.0\.0\.1:\d+ lacks migration\(s\) 0000_users, .*run npm run db:migrate/);
      const proxy = await startWsProxy(0);
      await migrateDatabase(db.url, `127.0.0.1:${proxy.port}/v1`).finally(() => proxy.close());
      expect(await databaseSchemaReady(db.url, (l) => lines.push(l))).toBe(true);
      expect(lines.at(-1)).toMatch(new RegExp(`^database 127\\.0\\.0\\.1:\\d+: all ${shippedMigrations().length} migrations applied$`));
      expect(await databaseSchemaReady(undefined, (l) => lines.push(l))).toBe(true);
      expect(lines.at(-1)).toMatch(/^database migrations not checked/);
    } finally {
      await db.close();
    }
  });
});
