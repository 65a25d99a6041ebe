import { Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";

/** The bindings every database-backed Worker has. */
export interface DatabaseEnv {
  DATABASE_URL: string;
  /** Local only: `host:port/path` of the WebSocket-to-TCP proxy in front of a plain Postgres. */
  NEON_WS_PROXY?: string;
}

/**
 * Without the relational schema: the code uses the query builder only (`db.select`, `db.insert`,
 * ...), and `drizzle(pool, { schema })` rebuilt the relational config on every call: ~3% of the
 * catalog's samples in a CPU profile of one-query calls (`npm run profile -- catalog`), though the
 * `db-session` bench (1.8-2.2 ms per session) is too noisy to show the difference.
 */
export type Database = NeonDatabase;

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

/** Longest a single query may take (client side) before its call fails. */
export const QUERY_TIMEOUT_MS = 15_000;

/** A drizzle client and the per-request Pool under it. */
export interface OpenDatabase {
  db: Database;
  pool: Pool;
}

/**
 * Opens a drizzle client on a Pool for this request only: workerd forbids
 * sharing I/O objects across requests. The caller must end the pool after its
 * work (`ctx.waitUntil(pool.end())`); DomainService does this for every RPC call.
 */
export function openDb(env: DatabaseEnv): OpenDatabase {
  configureDriver(env);
  // A generous connect timeout: under bursts a slow connection beats a 5xx (locally, PGlite
  // serialises sessions behind the proxy, so connections can queue for seconds). Every query
  // also has a client-side timeout, so a stuck database fails the call instead of hanging it.
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 4, connectionTimeoutMillis: 20_000, query_timeout: QUERY_TIMEOUT_MS });
  pool.on("error", (err: Error) => {
    // Clients of a pool that is being ended report their closed sockets here: expected, not news.
    if ((pool as unknown as { ending?: boolean }).ending) return;
    console.warn(JSON.stringify({ level: "warn", msg: "postgres pool error", error: err.message }));
  });
  return { db: drizzle(pool), pool };
}

/** True when `err` is a Postgres unique-violation (SQLSTATE 23505), optionally on a named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = findPgError(err);
  return e?.code === "23505" && (constraint === undefined || e.constraint === constraint);
}

/**
 * SQLSTATE classes of a database that cannot serve now: connection exception
 * (less 08P01, a protocol violation: the query's fault), insufficient
 * resources, operator intervention, system error.
 */
const UNAVAILABLE_SQLSTATE = /^(08(?!P01)|53|57P|58)/;
/**
 * The drivers' words for a connection that failed, was cut, or never came:
 * the WebSocket driver's (pg's), and Neon's HTTP path's.
 */
const CONNECTION_FAILED = /connection terminated|connection error|timeout exceeded when trying to connect|query read timeout|ECONNREFUSED|ECONNRESET|error connecting to database|server error \(HTTP status 5/i;

/**
 * True when `err` says the database could not be reached or cannot serve now,
 * rather than that the query was wrong: a SQLSTATE of those classes, or a
 * driver error about the connection itself, anywhere in its causes. Such a
 * call may work again shortly, so callers answer 503, not 500 (a bug).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const pg = findPgError(err);
  if (pg?.code !== undefined && UNAVAILABLE_SQLSTATE.test(pg.code)) return true;
  // A SQLSTATE of another class is Postgres answering about the query, unless it is Neon's internal error about its compute.
  if (pg?.code !== undefined && /^[0-9A-Z]{5}$/.test(pg.code) && pg.code !== "XX000") return false;
  let cur: unknown = err;
  for (let i = 0; i < 4 && typeof cur === "object" && cur !== null; i++) {
    const message = (cur as { message?: unknown }).message;
    if (typeof message === "string" && CONNECTION_FAILED.test(message)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * What a domain Worker throws across RPC for `isDatabaseUnavailable` errors:
 * RPC keeps an error's name and message, so the gateway answers 503 by the
 * name. The message is the same every time (one Sentry issue, no SQL); the
 * detail is in the Worker's own log line.
 */
export class DatabaseUnavailable extends Error {
  constructor() {
    super("The database is unavailable.");
    this.name = "DatabaseUnavailable";
  }
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
