/**
 * `npm run admin:grant` against a real Postgres (PGlite, migrated): an account
 * found by its email as the API stores it becomes an admin; an unknown email
 * changes nothing.
 */
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { users } from "../shared/db/schema/index.ts";
import type { ScriptDb } from "./db.ts";
import { grantAdmin } from "./grant-admin.ts";
import { seedAdmin } from "./seed.ts";

const pg = new PGlite();
afterAll(() => pg.close());

describe("admin:grant", { timeout: 60_000 }, () => {
  it("makes a registered account an admin, by its email in any case, and reports an unknown one", async () => {
    const db = drizzle(pg);
    await migrate(db, { migrationsFolder: new URL("../migrations", import.meta.url).pathname });
    const scriptDb = db as unknown as ScriptDb;
    await seedAdmin(scriptDb, "shopper@example.com", "a-long-password");
    await db.update(users).set({ role: "customer" });

    expect(await grantAdmin(scriptDb, "  Shopper@Example.com ")).toBe(true);
    expect(await db.select({ email: users.email, role: users.role }).from(users)).toStrictEqual([{ email: "shopper@example.com", role: "admin" }]);
    expect(await grantAdmin(scriptDb, "nobody@example.com")).toBe(false);
  });
});
