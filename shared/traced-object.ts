import { DurableObject } from "cloudflare:workers";
import { rpcMethodNames, tracedEnv, tracedMethod } from "./traced-calls.ts";

/** Handlers the runtime calls with its own arguments; alarm is traced (a new trace per run). */
const RUNTIME_HANDLERS = new Set(["fetch", "webSocketMessage", "webSocketClose", "webSocketError"]);
const WRAPPED = Symbol("edgeshop.objectTraced");

function versionOf(self: unknown): string {
  return (self as { env: { CF_VERSION_METADATA?: WorkerVersionMetadata } }).env.CF_VERSION_METADATA?.id ?? "";
}

/**
 * Base class of every Durable Object: calls arrive with the caller's trace
 * (one log line per call, see shared/traced-calls.ts) and calls it makes to
 * other objects and Workers carry it on.
 */
export abstract class TracedDurableObject<E> extends DurableObject<E> {
  /** The object's name in logs ("catalog/StockDO", ...). */
  protected static readonly worker: string = "object";

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, tracedEnv(env as object) as E);
    const proto = new.target.prototype as object;
    if (Object.prototype.hasOwnProperty.call(proto, WRAPPED)) return;
    Object.defineProperty(proto, WRAPPED, { value: true });
    const worker = (new.target as unknown as typeof TracedDurableObject).worker;
    for (const [p, name] of rpcMethodNames(proto, TracedDurableObject.prototype, RUNTIME_HANDLERS)) {
      const desc = Object.getOwnPropertyDescriptor(p, name)!;
      Object.defineProperty(p, name, { ...desc, value: tracedMethod(desc.value as (...args: unknown[]) => unknown, name, { worker, version: versionOf }) });
    }
  }
}
