import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { isMissingRpcMethod } from "../../../shared/errors.ts";
import { tracedStub } from "../../../shared/traced-calls.ts";

/**
 * Resilience of the gateway's calls to the domain Workers (service-binding
 * RPC), applied to every binding by one middleware so no route can forget it:
 * - a timeout per call (reads 5 s, writes 15 s: a checkout waits on a
 *   payment provider), after which the client gets 503 SERVICE_UNAVAILABLE;
 * - idempotent reads (`get*`, `list*`) are retried twice with jittered
 *   backoff when the call threw, except when the callee said `overloaded`
 *   (retrying would only add load) — PLATFORM.md's rule for Durable Objects;
 *   writes are never retried here (their callers own idempotency keys);
 * - a circuit breaker per dependency, kept per isolate: after
 *   FAILURE_THRESHOLD consecutive thrown or timed-out calls it opens and every
 *   call fails fast with 503 and `retry-after` for OPEN_MS; then one trial
 *   call is let through (half-open) and its outcome closes or re-opens it.
 * Expected failures (`{ ok: false }` results) are answers, not faults: they
 * never count against a dependency. Nor does a method the callee's version
 * does not have yet (a rollout in progress): that is not retried either, and
 * app.ts answers it with 503.
 */

export const FAILURE_THRESHOLD = 5;
export const OPEN_MS = 10_000;
const READ_TIMEOUT_MS = 5_000;
const WRITE_TIMEOUT_MS = 15_000;
const READ_RETRIES = 2;
/** Probes and test hooks pass straight through (no timeout, retry or breaker): /health must report what it sees. */
const UNGUARDED = new Set(["health", "databaseHealth", "injectFault", "injectDurableFault", "fetch", "connect"]);

/** A dependency is failing or too slow; the gateway answers 503 with `retry-after`. */
export class DependencyUnavailable extends Error {
  constructor(
    readonly service: string,
    readonly retryAfterSeconds: number,
    reason: string,
  ) {
    super(`${service} unavailable: ${reason}`);
    this.name = "DependencyUnavailable";
  }
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;

  constructor(
    readonly service: string,
    private readonly now: () => number = Date.now,
    private readonly threshold = FAILURE_THRESHOLD,
    private readonly openMs = OPEN_MS,
  ) {}

  get state(): "closed" | "open" | "half-open" {
    if (this.openedAt === null) return "closed";
    return this.now() - this.openedAt >= this.openMs ? "half-open" : "open";
  }

  /** Throws DependencyUnavailable while open (and while a half-open trial is out); else admits the call. */
  admit(): void {
    const state = this.state;
    if (state === "closed") return;
    if (state === "half-open" && !this.trialInFlight) {
      this.trialInFlight = true;
      return;
    }
    const waitMs = state === "open" ? this.openMs - (this.now() - (this.openedAt ?? 0)) : 1000;
    throw new DependencyUnavailable(this.service, Math.max(1, Math.ceil(waitMs / 1000)), "circuit open");
  }

  succeeded(): void {
    this.failures = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  failed(): void {
    this.failures++;
    if (this.trialInFlight || this.failures >= this.threshold) this.openedAt = this.now();
    this.trialInFlight = false;
  }
}

const breakers = new Map<string, CircuitBreaker>();

/** The isolate's breaker for `service`. */
export function breakerFor(service: string): CircuitBreaker {
  let b = breakers.get(service);
  if (!b) breakers.set(service, (b = new CircuitBreaker(service)));
  return b;
}

function isRead(method: string): boolean {
  return /^(get|list)[A-Z]/.test(method);
}

function isOverloaded(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { overloaded?: unknown }).overloaded === true;
}

class Timeout extends Error {}

async function withTimeout<T>(call: () => Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call(), expired]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export interface GuardOptions {
  breaker: CircuitBreaker;
  timeoutMs?: number;
  retries?: number;
  /** Waits between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** Runs one RPC call under the breaker, its timeout and (for reads) the retry policy. */
export async function guarded<T>(method: string, call: () => Promise<T>, o: GuardOptions): Promise<T> {
  const read = isRead(method);
  const retries = o.retries ?? (read ? READ_RETRIES : 0);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    o.breaker.admit();
    try {
      const value = await withTimeout(call, o.timeoutMs ?? (read ? READ_TIMEOUT_MS : WRITE_TIMEOUT_MS));
      o.breaker.succeeded();
      return value;
    } catch (err) {
      // A receiver of another version without the method answered: it is up, and asking again changes nothing.
      if (isMissingRpcMethod(err)) {
        o.breaker.succeeded();
        throw err;
      }
      o.breaker.failed();
      if (err instanceof Timeout) throw new DependencyUnavailable(o.breaker.service, 1, err.message);
      if (attempt >= retries || isOverloaded(err)) throw err;
      await sleep(50 * 3 ** attempt * (0.5 + Math.random()));
    }
  }
}

/** The binding with every RPC method guarded; other properties untouched. */
export function resilient<T extends object>(service: string, binding: T, breaker = breakerFor(service)): T {
  return new Proxy(binding, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || UNGUARDED.has(prop) || prop === "then" || typeof value !== "function") return value;
      // Reflect.apply, not value.apply: on an RPC stub `.apply` would be a remote method name.
      return (...args: unknown[]) => guarded(prop, () => Promise.resolve(Reflect.apply(value as (...a: unknown[]) => unknown, target, args)), { breaker });
    },
  });
}

const SERVICES = ["USERS", "CATALOG", "ORDERS", "PAYMENTS", "SHIPPING", "FAVOURITES", "EVENTS"] as const;

/** Guarded bindings, made once per binding object (bindings outlive requests; breakers are per isolate anyway). */
const guardedBindings = new WeakMap<object, object>();

function guardedBinding<T extends object>(name: string, binding: T): T {
  let g = guardedBindings.get(binding) as T | undefined;
  // Inside the guard, every call carries the request's trace (shared/traced-calls.ts).
  if (!g) guardedBindings.set(binding, (g = resilient(name.toLowerCase(), tracedStub(binding))));
  return g;
}

/** The guarded copy of each env the runtime has passed (one per isolate in practice). */
const guardedEnvs = new WeakMap<object, AppEnv["Bindings"]>();

/**
 * Puts every domain Worker binding of this request behind `resilient`. The
 * guarded env is built once per env object, not per request (copying the env
 * and wrapping six bindings was 3% of the gateway's JavaScript on every call).
 */
export function resilientBindings(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let env = guardedEnvs.get(c.env);
    if (!env) {
      env = { ...c.env };
      for (const name of SERVICES) Object.assign(env, { [name]: guardedBinding(name, c.env[name]) });
      guardedEnvs.set(c.env, env);
    }
    c.env = env;
    await next();
  };
}
