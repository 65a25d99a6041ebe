import { WorkerEntrypoint } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { currentTrace } from "./trace.ts";
import { rpcMethodNames, tracedEnv, tracedMethod } from "./traced-calls.ts";
import { DatabaseUnavailable, isDatabaseUnavailable, openDb, type Database, type DatabaseEnv, type OpenDatabase } from "./db/client.ts";
import { httpDb, type HttpDatabase } from "./db/http.ts";
import { errorText } from "./observability.ts";

/** Port 9 (discard) on loopback: closed on any machine that runs the tests, so connecting fails at once. */
const UNREACHABLE_DATABASE = "postgres://edgeshop:unreachable@127.0.0.1:9/edgeshop";

/** Test-only switch for `injectFault`; never set outside tests. */
export interface FaultEnv {
  FAULT_INJECTION?: string;
}

export interface VersionEnv {
  CF_VERSION_METADATA: WorkerVersionMetadata;
}

/** What every domain Worker answers to the gateway's `/health`. */
export interface ServiceHealth {
  status: "ok" | "down";
  version: string;
}

const WRAPPED = Symbol("edgeshop.rpcWrapped");

interface CallState {
  open: OpenDatabase | undefined;
  active: number;
}

const states = new WeakMap<object, CallState>();

function callState(instance: object): CallState {
  let state = states.get(instance);
  if (!state) states.set(instance, (state = { open: undefined, active: 0 }));
  return state;
}

/** Runtime handler and helper of the base class that are not RPC methods. */
const NOT_RPC = new Set(["fetch", "db", "httpDb"]);

function versionOf(self: unknown): string {
  return (self as { env: VersionEnv }).env.CF_VERSION_METADATA.id;
}

/**
 * Wraps every RPC method of a service class once: the call runs under the
 * caller's trace and writes one log line (`tracedMethod`), and the database
 * pool it opened is ended (through ctx.waitUntil) when the call's last
 * in-flight method settles. Methods only ever see `this.db()`.
 * One service class per Worker bundle, so the label is that Worker's.
 */
function wrapRpcMethods(proto: object, worker: string): void {
  for (let p: object | null = proto; p && p !== WorkerEntrypoint.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, WRAPPED)) continue;
    Object.defineProperty(p, WRAPPED, { value: true });
    for (const [, name] of rpcMethodNames(p, Object.getPrototypeOf(p) as object, NOT_RPC)) {
      const desc = Object.getOwnPropertyDescriptor(p, name)!;
      const traced = tracedMethod(desc.value as (...args: unknown[]) => unknown, name, { worker, version: versionOf });
      Object.defineProperty(p, name, {
        ...desc,
        value: async function (this: WorkerEntrypoint, ...args: unknown[]) {
          const state = callState(this);
          state.active++;
          try {
            return await traced.apply(this, args);
          } catch (err) {
            if (!isDatabaseUnavailable(err)) throw err;
            console.error(JSON.stringify({ level: "error", worker, msg: "database unavailable", method: name, error: errorText(err) }));
            throw new DatabaseUnavailable();
          } finally {
            state.active--;
            if (state.active === 0 && state.open) {
              this.ctx.waitUntil(state.open.pool.end().catch(() => undefined));
              state.open = undefined;
            }
          }
        },
      });
    }
  }
}

/**
 * Base class of every domain Worker's RPC surface: a per-call database
 * (`this.db()`, one pool per call, ended when the call settles), the health
 * probe the gateway aggregates, and a `fetch` that answers health only (the
 * gateway is the only HTTP surface).
 */
export abstract class DomainService<E extends DatabaseEnv & VersionEnv> extends WorkerEntrypoint<E> {
  /** The Worker's name in logs ("catalog", "orders", ...). */
  protected static readonly worker: string = "service";

  constructor(ctx: ExecutionContext, env: E) {
    // Outgoing RPC and Durable Object calls carry the current trace.
    super(ctx, tracedEnv(env));
    wrapRpcMethods(new.target.prototype, (new.target as unknown as typeof DomainService).worker);
  }

  /** The drizzle client for this call (created on first use). */
  protected db(): Database {
    const state = callState(this);
    state.open ??= openDb(this.env);
    return state.open.db;
  }

  async health(): Promise<ServiceHealth> {
    return { status: "ok", version: this.env.CF_VERSION_METADATA.id };
  }

  /** The HTTP query path, for one-shot statements and batches (no session to end). */
  protected httpDb(): HttpDatabase {
    return httpDb(this.env);
  }

  /**
   * `select 1` against Postgres; the gateway reports it as `database`. `via`
   * picks the path: a WebSocket session (transactions) or the HTTP query path
   * (one-shot writes); the bench prices both.
   */
  async databaseHealth(via: "session" | "http" = "session"): Promise<ServiceHealth> {
    try {
      await (via === "http" ? this.httpDb() : this.db()).execute(sql`select 1`);
      return { status: "ok", version: this.env.CF_VERSION_METADATA.id };
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "database health check failed", error: errorText(err) }));
      return { status: "down", version: this.env.CF_VERSION_METADATA.id };
    }
  }

  /**
   * Throws on purpose when FAULT_INJECTION is "on" (tests only), so error
   * reporting can be checked end to end; elsewhere it refuses. `database`
   * fails a real query for want of a reachable database instead.
   */
  async injectFault(kind: "throw" | "database" = "throw"): Promise<ServiceHealth> {
    if ((this.env as FaultEnv).FAULT_INJECTION !== "on") return { status: "ok", version: this.env.CF_VERSION_METADATA.id };
    if (kind === "database") {
      // A real query against a database nothing listens for: the driver's own connection failure.
      const unreachable = openDb({ ...this.env, DATABASE_URL: UNREACHABLE_DATABASE });
      try {
        await unreachable.db.execute(sql`select 1`);
      } finally {
        this.ctx.waitUntil(unreachable.pool.end().catch(() => undefined));
      }
    }
    // The trace id in the message tells each injected fault's event apart.
    throw new Error(`injected fault in ${this.constructor.name} (trace ${currentTrace()?.traceId ?? "none"})`);
  }

  override async fetch(): Promise<Response> {
    return Response.json(await this.health());
  }
}
