/**
 * Node-side database access for scripts (migrations, seeds, test setup), over
 * the same Neon driver the Workers use: through the local WebSocket proxy for
 * a loopback Postgres, directly for Neon.
 */
import { Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import { WebSocket } from "ws";
import * as schema from "../shared/db/schema/index.ts";
import { startWsProxy } from "./neon-ws-proxy.ts";

export type ScriptDb = ReturnType<typeof drizzle<typeof schema>>;

/** True for a Postgres on this machine (reached through the local proxy, not TLS). */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "::1";
}

/**
 * Runs `fn` with what `openPool`, `withDb` and `migrateDatabase` need to reach
 * `url`: for a database on this machine, the address of a short-lived local
 * Neon WebSocket proxy (closed after); for Neon, undefined.
 */
export async function withLocalProxy<T>(url: string, fn: (proxy: string | undefined) => Promise<T>): Promise<T> {
  const proxy = isLoopback(url) ? await startWsProxy(0) : undefined;
  try {
    return await fn(proxy ? `127.0.0.1:${proxy.port}/v1` : undefined);
  } finally {
    await proxy?.close();
  }
}

/** Opens a pool; `proxy` is the local proxy's `host:port/v1` for loopback databases. */
export function openPool(url: string, proxy?: string, max = 4): Pool {
  neonConfig.webSocketConstructor = WebSocket;
  if (proxy && isLoopback(url)) {
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  const pool = new Pool({ connectionString: url, max });
  pool.on("error", (err: Error) => console.error(`postgres pool error: ${err.message}`));
  return pool;
}

/** How long a migration waits for a table's lock before it fails (and can be run again later). */
export const MIGRATION_LOCK_TIMEOUT = "5s";

/**
 * Applies every pending migration in migrations/ (drizzle's journal keeps it
 * idempotent), on a database that stores UTF-8: text search compares in
 * Unicode (`normalize()`), which Postgres refuses in any other encoding, so
 * such a database is refused here with what to do rather than with a 500 per search.
 */

export async function migrateDatabase(url: string, proxy?: string): Promise<void> {
  // One connection, so the lock timeout set here is the migration transaction's too (Neon: the direct URL, not the pooler).
  const pool = openPool(url, proxy, 1);
  try {
    // A migration that waits for a lock queues every query of the running Workers behind it: give up instead.
    await pool.query(`SET lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
    const { rows } = await pool.query<{ server_encoding: string }>("SHOW server_encoding");
    const encoding = rows[0]?.server_encoding;
    if (encoding !== "UTF8") {
      throw new Error(`the database's encoding is ${encoding ?? "unknown"}, not UTF8: create it with ENCODING 'UTF8' (initdb -E UTF8 --locale=C.UTF-8; for serve:bench, --fresh)`);
    }
    await migrate(drizzle(pool), { migrationsFolder: new URL("../migrations", import.meta.url).pathname });
  } finally {
    await pool.end();
  }
}

/** Runs `fn` with a drizzle client, closing the pool after. */
export async function withDb<T>(url: string, proxy: string | undefined, fn: (db: ScriptDb) => Promise<T>): Promise<T> {
  const pool = openPool(url, proxy);
  try {
    return await fn(drizzle(pool, { schema }));
  } finally {
    await pool.end();
  }
}
