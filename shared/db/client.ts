import { Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "./schema/index.ts";

/** The bindings every database-backed Worker has. */
export interface DatabaseEnv {
  DATABASE_URL: string;
  /** Local only: `host:port/path` of the WebSocket-to-TCP proxy in front of a plain Postgres. */
  NEON_WS_PROXY?: string;
}

export type Database = NeonDatabase<typeof schema>;

function configureDriver(env: DatabaseEnv): void {
  const proxy = env.NEON_WS_PROXY;
  if (proxy) {
    // A plain Postgres (PGlite or PostgreSQL) behind scripts/neon-ws-proxy.ts: no TLS, no pipelining.
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
}

/**
 * Creates a drizzle client on a Pool that lives for this request only: workerd
 * forbids sharing I/O objects across requests. The pool is ended after the
 * response through `ctx.waitUntil`, so connections never leak.
 */
export function createDb(env: DatabaseEnv, ctx: { waitUntil(p: Promise<unknown>): void }): Database {
  configureDriver(env);
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 4, connectionTimeoutMillis: 5_000 });
  pool.on("error", (err: Error) => console.error(JSON.stringify({ level: "error", msg: "postgres pool error", error: err.message })));
  ctx.waitUntil(pool.end().catch(() => undefined));
  return drizzle(pool, { schema });
}

/** True when `err` is a Postgres unique-violation (SQLSTATE 23505), optionally on a named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = findPgError(err);
  return e?.code === "23505" && (constraint === undefined || e.constraint === constraint);
}

function findPgError(err: unknown): { code?: string; constraint?: string } | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 4 && cur && typeof cur === "object"; i++) {
    const c = cur as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (typeof c.code === "string") return { code: c.code, constraint: typeof c.constraint === "string" ? c.constraint : undefined };
    cur = c.cause;
  }
  return undefined;
}
