/**
 * Are the database's migrations applied? A release must not reach code that
 * needs a column the database does not have yet (docs/deployments.md: migrate
 * first, then deploy). drizzle records each applied migration's journal time
 * (`when`, as `created_at`) in `drizzle.__drizzle_migrations`, so a journal
 * entry whose time is not there is missing.
 */
import { readFileSync } from "node:fs";
import { openPool, withLocalProxy } from "../db.ts";

export interface JournalEntry {
  tag: string;
  when: number;
}

/** The migrations this checkout ships (migrations/meta/_journal.json), oldest first. */
export function shippedMigrations(path = new URL("../../migrations/meta/_journal.json", import.meta.url)): JournalEntry[] {
  const journal = JSON.parse(readFileSync(path, "utf8")) as { entries: JournalEntry[] };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

/**
 * The shipped migrations a database that applied those with journal times
 * `applied` lacks: by time, not only after the newest, so one merged out of
 * order (older than the newest applied, never applied, and one drizzle
 * would skip) shows too.
 */
export function missingMigrations(shipped: JournalEntry[], applied: readonly number[]): JournalEntry[] {
  const done = new Set(applied);
  return shipped.filter((m) => !done.has(m.when));
}

/** Runs one query, returning its rows: the Neon pool of scripts/db.ts, or PGlite in tests. */
export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/** The journal times of the migrations the database has applied (none without drizzle's table). */
export async function appliedMigrations(query: Query): Promise<number[]> {
  const [exists] = await query("select to_regclass('drizzle.__drizzle_migrations') is not null as present");
  if (exists?.present !== true) return [];
  return (await query("select created_at::text as at from drizzle.__drizzle_migrations")).map((r) => Number(r.at));
}

/**
 * The release scripts' check: with DATABASE_URL set (the environment's
 * database; Neon's direct URL), false and a REFUSED line when migrations are
 * missing; without it, true and a line saying nothing was checked.
 */
export async function databaseSchemaReady(url: string | undefined, say: (line: string) => void): Promise<boolean> {
  const shipped = shippedMigrations();
  if (!url) {
    say(`database migrations not checked (${shipped.length} shipped): set DATABASE_URL to the environment's database to check them first`);
    return true;
  }
  const applied = await withLocalProxy(url, async (proxy) => {
    const pool = openPool(url, proxy);
    try {
      return await appliedMigrations(async (sql) => (await pool.query(sql)).rows as Record<string, unknown>[]);
    } finally {
      await pool.end();
    }
  });
  const missing = missingMigrations(shipped, applied);
  if (missing.length === 0) {
    say(`database ${new URL(url).host}: all ${shipped.length} migrations applied`);
    return true;
  }
  say(`REFUSED: the database at ${new URL(url).host} lacks migration(s) ${missing.map((m) => m.tag).join(", ")}: run npm run db:migrate with this DATABASE_URL first (the schema expands before the code that needs it ships; docs/deployments.md)`);
  return false;
}
