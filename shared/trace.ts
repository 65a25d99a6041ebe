/**
 * W3C Trace Context (`traceparent: 00-<trace id>-<parent id>-<flags>`): the
 * gateway continues a caller's trace or starts one, and answers with its own
 * span so a client can correlate logs.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomHex } from "./ids.ts";

export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Continues a valid incoming `traceparent` (new span id) or starts a new trace.
 * Inside the system (no `sampleRate`) the caller's flags are kept, so a whole
 * trace is sampled or not as one. At the edge (`sampleRate` from the gateway's
 * config) a client's "sampled" flag is honoured, and otherwise this trace is
 * sampled with probability `sampleRate` (head sampling, as in OpenTelemetry).
 */
export function continueTrace(header: string | undefined, sampleRate?: number): TraceContext {
  const m = header?.trim().toLowerCase().match(TRACEPARENT);
  const traceId = m?.[1] && !/^0+$/.test(m[1]) ? m[1] : randomHex(16);
  if (sampleRate === undefined) return { traceId, spanId: randomHex(8), flags: m?.[3] ?? "01" };
  const sampled = (m?.[3] !== undefined && isSampledFlags(m[3])) || sampleRate >= 1 || Math.random() < sampleRate;
  return { traceId, spanId: randomHex(8), flags: sampled ? "01" : "00" };
}

function isSampledFlags(flags: string): boolean {
  return (Number.parseInt(flags, 16) & 1) === 1;
}

/** Whether a trace is sampled (W3C flag bit 0): its calls write span lines (see traced-calls.ts). */
export function isSampled(t: TraceContext): boolean {
  return isSampledFlags(t.flags);
}

/** `TRACE_SAMPLE_RATE` as a probability: 1 (every trace) when unset or not a number in [0, 1]. */
export function traceSampleRate(value: string | undefined): number {
  const rate = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isFinite(rate) && rate >= 0 && rate <= 1 ? rate : 1;
}

export function traceparent(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${t.flags}`;
}

/**
 * The trace one call runs under: its W3C context plus the gateway's request
 * id. Kept in AsyncLocalStorage for the duration of a request (gateway) or an
 * incoming RPC / Durable Object call (everywhere else), so outgoing calls
 * carry it without every function passing it along.
 */
export interface CallTrace extends TraceContext {
  requestId: string;
}

/**
 * How a trace crosses a service binding or a Durable Object stub: one extra,
 * last argument, marked so the callee can tell it from a real one and take it
 * off before the method sees its arguments (see `takeTraceArg`).
 */
const ENVELOPE = "__edgeshopTrace";
interface TraceEnvelope {
  [ENVELOPE]: 1;
  traceparent: string;
  requestId: string;
}

const calls = new AsyncLocalStorage<CallTrace>();

/** The trace of the call in progress, if any. */
export function currentTrace(): CallTrace | undefined {
  return calls.getStore();
}

export function runWithTrace<T>(trace: CallTrace, fn: () => T): T {
  return calls.run(trace, fn);
}

/** `args` plus the current trace as a last, marked argument (unchanged when there is no trace). */
export function withTraceArg(args: unknown[]): unknown[] {
  const stored = storedTrace();
  return stored ? [...args, traceArgOf(stored)] : args;
}

function isEnvelope(value: unknown): value is TraceEnvelope {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[ENVELOPE] === 1;
}

/**
 * Removes a trailing trace envelope from `args` (in place) and returns the
 * callee's trace: the caller's trace id with a new span, or undefined when
 * the caller sent none.
 */
export function takeTraceArg(args: unknown[]): (CallTrace & { parentSpanId: string }) | undefined {
  const last = args[args.length - 1];
  if (!isEnvelope(last)) return undefined;
  args.pop();
  const t = continueTrace(last.traceparent);
  const parentSpanId = last.traceparent.split("-")[2] ?? "";
  const requestId = typeof last.requestId === "string" ? last.requestId.slice(0, 128) : "";
  return { ...t, parentSpanId, requestId };
}

/** A trace as it is stored with work that runs later (e.g. a queued event): the W3C header and the request id. */
export interface StoredTrace {
  traceparent: string;
  requestId: string;
}

/** The current trace in storable form, or undefined outside a traced call. */
export function storedTrace(): StoredTrace | undefined {
  const t = calls.getStore();
  return t ? { traceparent: traceparent(t), requestId: t.requestId } : undefined;
}

/** The marked last argument that makes a traced method continue `stored` (see `tracedMethod`). */
export function traceArgOf(stored: StoredTrace): unknown {
  const envelope: TraceEnvelope = { [ENVELOPE]: 1, traceparent: stored.traceparent, requestId: stored.requestId };
  return envelope;
}

/** A stored trace continued later, in this call: the same trace and request id, a new span. */
export function resumedTrace(stored: StoredTrace): CallTrace {
  return { ...continueTrace(stored.traceparent), requestId: stored.requestId };
}

/** A new trace for work nobody asked for over a traced call (alarms, queues, crons, tests). */
export function startTrace(): CallTrace {
  return { ...continueTrace(undefined), requestId: "" };
}
