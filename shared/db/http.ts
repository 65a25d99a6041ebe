import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import type { Database, DatabaseEnv } from "./client.ts";

/**
 * Postgres over Neon's HTTP query path: each statement, or each `db.batch([...])`
 * (one transaction), is one fetch, with no session to open, authenticate or
 * end. It is the path for one-shot writes off the hot path (copies to
 * Postgres after a Durable Object changed); code that reads before it writes
 * in one transaction keeps the WebSocket session (`openDb`).
 */
export type HttpDatabase = NeonHttpDatabase;

/** Either path, for a query that runs the same on both (a plain select or insert). */
export type AnyDatabase = Database | HttpDatabase;

/**
 * Locally, the same proxy that relays WebSockets answers `POST /sql` (scripts/neon-http-sql.ts).
 * `neonConfig.fetchEndpoint` is isolate-wide and read when a query is sent, which is sound because an
 * isolate has one NEON_WS_PROXY; to take "Postgres" away in a test, point DATABASE_URL elsewhere.
 */
export function httpDb(env: DatabaseEnv): HttpDatabase {
  const proxy = env.NEON_WS_PROXY;
  if (proxy) neonConfig.fetchEndpoint = `http://${proxy.split("/")[0]}/sql`;
  return drizzle({ client: neon(env.DATABASE_URL) });
}
