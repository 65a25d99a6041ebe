import { DurableObject } from "cloudflare:workers";
import { rpcMethodNames, tracedEnv, tracedMethod } from "./traced-calls.ts";

/** Handlers the runtime calls with its own arguments; alarm is traced (a new trace per run). */
const RUNTIME_HANDLERS = new Set(["fetch", "webSocketMessage", "webSocketClose", "webSocketError"]);
const WRAPPED = Symbol("edgeshop.objectTraced");

function versionOf(self: unknown): string {
  return (self as { env: { CF_VERSION_METADATA?: WorkerVersionMetadata } }).env.CF_VERSION_METADATA?.id ?? "";
}

/**
 * Wraps every RPC method of a Durable Object class once (on its prototype) so calls are traced and
 * logged; returns the class. Call it before handing the class to Sentry's
 * `instrumentDurableObjectWithSentry`: Sentry leaves out of its error reporting every method that
 * changes on the prototype while an instance is constructed (it takes those for framework-managed),
 * which is what wrapping in the constructor alone did, so a Durable Object's own errors went unreported.
 */
export function traceObjectMethods<C extends abstract new (...args: never[]) => object>(cls: C): C {
  const proto = cls.prototype as object;
  if (Object.hasOwn(proto, WRAPPED)) return cls;
  Object.defineProperty(proto, WRAPPED, { value: true });
  const worker = (cls as unknown as { worker: string }).worker;
  for (const [p, name] of rpcMethodNames(proto, wrappedAncestorOf(proto), RUNTIME_HANDLERS)) {
    const desc = Object.getOwnPropertyDescriptor(p, name)!;
    Object.defineProperty(p, name, { ...desc, value: tracedMethod(desc.value as (...args: unknown[]) => unknown, name, { worker, version: versionOf }) });
  }
  return cls;
}

/**
 * Where a class's own wrapping stops: at the nearest ancestor already wrapped, whose
 * methods must not be wrapped twice. A subclass of a wrapped class is what the local
 * runtime constructs under `wrangler dev` (Miniflare names its objects that way);
 * wrapping the base's methods again there, during construction, made Sentry take them
 * for framework-managed and leave the object's own errors unreported.
 */
function wrappedAncestorOf(proto: object): object {
  for (let p = Object.getPrototypeOf(proto) as object | null; p && p !== TracedDurableObject.prototype; p = Object.getPrototypeOf(p) as object | null) {
    if (Object.hasOwn(p, WRAPPED)) return p;
  }
  return TracedDurableObject.prototype;
}

/**
 * Base class of every Durable Object: calls arrive with the caller's trace
 * (one log line per call, see shared/traced-calls.ts) and calls it makes to
 * other objects and Workers carry it on. A class not passed through
 * `traceObjectMethods` is wrapped at its first construction.
 */
export abstract class TracedDurableObject<E> extends DurableObject<E> {
  /** The object's name in logs ("catalog/StockDO", ...). */
  protected static readonly worker: string = "object";

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, tracedEnv(env as object) as E);
    traceObjectMethods(new.target);
  }
}
