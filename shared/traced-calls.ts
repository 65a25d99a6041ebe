/**
 * Trace propagation across service bindings and Durable Object stubs, and one
 * structured log line per incoming call of a sampled trace.
 *
 * Outgoing: `tracedEnv(env)` hands out service bindings and Durable Object
 * stubs that append the current trace (AsyncLocalStorage) as a last, marked
 * argument. Incoming: `tracedMethod` takes that argument off, runs the method
 * under the caller's trace id with a new span, and logs
 * `{worker, method, traceId, spanId, parentSpanId, requestId, status, durationMs, version}`
 * (plus `refused: <code>` when it answered `{ ok: false }`) when the trace is
 * sampled (the gateway's `TRACE_SAMPLE_RATE`), the call threw or refused, or
 * it took `SLOW_CALL_MS` or more.
 *
 * Compatibility: a callee built before this existed sees the envelope as one
 * more argument, harmless as long as callers pass every positional parameter
 * (docs/deployments.md, compatibility rules).
 */
import { getClient, getIsolationScope } from "@sentry/cloudflare";
import { currentTrace, isSampled, runWithTrace, startTrace, takeTraceArg, withTraceArg, type CallTrace } from "./trace.ts";

/** Service bindings (RPC to domain Workers) whose calls carry the trace. */
const SERVICE_BINDINGS = new Set(["USERS", "CATALOG", "ORDERS", "PAYMENTS", "SHIPPING", "FAVOURITES", "EVENTS"]);
/** Durable Object namespaces whose stubs carry the trace. */
const OBJECT_NAMESPACES = new Set(["STOCK", "CART", "ORDER", "PAYMENT"]);
/** Stub members that are not RPC methods, or must not get an extra argument. */
const PLAIN_MEMBERS = new Set(["fetch", "connect", "then", "id", "name", "dup", "toJSON"]);

/** The stub with every RPC method call carrying the current trace. */
export function tracedStub<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || PLAIN_MEMBERS.has(prop) || typeof value !== "function") return value;
      // Reflect.apply, not value.apply: on an RPC stub `.apply` would be a remote method name.
      return (...args: unknown[]) => Reflect.apply(value as (...a: unknown[]) => unknown, target, withTraceArg(args));
    },
  });
}

function tracedNamespace(ns: DurableObjectNamespace): DurableObjectNamespace {
  return new Proxy(ns, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => tracedStub(Reflect.apply(value as (...a: unknown[]) => object, target, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

const tracedBindings = new WeakMap<object, object>();

function tracedBinding(name: string, binding: object): object {
  let traced = tracedBindings.get(binding);
  if (!traced) {
    traced = OBJECT_NAMESPACES.has(name) ? tracedNamespace(binding as DurableObjectNamespace) : tracedStub(binding);
    tracedBindings.set(binding, traced);
  }
  return traced;
}

const tracedEnvs = new WeakSet<object>();

/** `env` with its service bindings and Durable Object namespaces traced; everything else as is. */
export function tracedEnv<E extends object>(env: E): E {
  if (tracedEnvs.has(env)) return env;
  const traced = new Proxy(env, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || typeof value !== "object" && typeof value !== "function" || value === null) return value;
      return SERVICE_BINDINGS.has(prop) || OBJECT_NAMESPACES.has(prop) ? tracedBinding(prop, value) : value;
    },
  });
  tracedEnvs.add(traced);
  return traced;
}

/**
 * Makes sure `self.env` (a Worker entrypoint or Durable Object) is traced.
 * Sentry's instrumentation replaces `env` after construction with its own
 * wrapper, so this runs at the start of every incoming call.
 */
export function keepEnvTraced(self: unknown): void {
  const holder = self as { env?: object } | undefined;
  if (holder?.env && !tracedEnvs.has(holder.env)) holder.env = tracedEnv(holder.env);
}

export interface CallLabel {
  /** e.g. "catalog" or "catalog/StockDO". */
  worker: string;
  /** The version of the Worker `self` (the called object) belongs to. */
  version: (self: unknown) => string;
}

/** A call this slow writes its line even in a trace that is not sampled. */
export const SLOW_CALL_MS = 1_000;

/** The code of an expected failure crossing RPC as a value (`{ ok: false, error: { code } }`), else undefined. */
function refusalOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || (value as { ok?: unknown }).ok !== false) return undefined;
  const code = (value as { error?: { code?: unknown } }).error?.code;
  return typeof code === "string" ? code : "refused";
}

function logCall(label: CallLabel, self: unknown, method: string, trace: CallTrace & { parentSpanId?: string }, started: number, error: unknown, value?: unknown): void {
  const durationMs = Date.now() - started;
  const refused = error === undefined ? refusalOf(value) : undefined;
  // Head sampling: an unsampled trace keeps only its errors, refusals and slow calls (and the gateway's request line).
  if (error === undefined && refused === undefined && durationMs < SLOW_CALL_MS && !isSampled(trace)) return;
  // Workers Logs takes the level from the console method: a call that threw is written as an error.
  (error === undefined ? console.log : console.error)(
    JSON.stringify({
      level: error === undefined ? "info" : "error",
      worker: label.worker,
      method,
      traceId: trace.traceId,
      spanId: trace.spanId,
      parentSpanId: trace.parentSpanId ?? "",
      requestId: trace.requestId,
      status: error === undefined ? "ok" : "error",
      ...(error === undefined ? {} : { error: error instanceof Error ? error.name : "thrown" }),
      ...(refused === undefined ? {} : { refused }),
      durationMs,
      version: label.version(self),
    }),
  );
}

/**
 * `original` run under the caller's trace (or a new one when it came without,
 * e.g. an alarm), logged once it settles. A call made from inside another
 * traced call of the same object (no envelope, a trace already running) is
 * part of that call: same trace, no line of its own. Synchronous methods stay
 * synchronous.
 */
export function tracedMethod<F extends (...args: never[]) => unknown>(original: F, method: string, label: CallLabel): F {
  return function (this: unknown, ...args: unknown[]) {
    keepEnvTraced(this);
    const incoming = takeTraceArg(args);
    if (!incoming && currentTrace()) return Reflect.apply(original, this, args) as unknown;
    const trace = incoming ?? startTrace();
    // With Sentry on (a DSN is set), an error this call reports carries the same ids as its log line.
    if (getClient()) getIsolationScope().setTags({ requestId: trace.requestId, traceId: trace.traceId, worker: label.worker, method, version: label.version(this) });
    const started = Date.now();
    let result: unknown;
    try {
      result = runWithTrace(trace, () => Reflect.apply(original, this, args));
    } catch (err) {
      logCall(label, this, method, trace, started, err ?? "thrown");
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          logCall(label, this, method, trace, started, undefined, value);
          return value;
        },
        (err: unknown) => {
          logCall(label, this, method, trace, started, err ?? "thrown");
          throw err;
        },
      );
    }
    logCall(label, this, method, trace, started, undefined, result);
    return result;
  } as unknown as F;
}

/** Own method names of a class prototype chain below `stop`, minus the runtime's handlers that must stay as they are. */
export function rpcMethodNames(proto: object, stop: object, skip: ReadonlySet<string>): Array<[object, string]> {
  const out: Array<[object, string]> = [];
  for (let p: object | null = proto; p && p !== stop; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const desc = Object.getOwnPropertyDescriptor(p, name);
      if (name === "constructor" || skip.has(name) || !desc || typeof desc.value !== "function") continue;
      out.push([p, name]);
    }
  }
  return out;
}
