/**
 * W3C Trace Context (`traceparent: 00-<trace id>-<parent id>-<flags>`): the
 * gateway continues a caller's trace or starts one, and answers with its own
 * span so a client can correlate logs.
 */
export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Continues a valid incoming `traceparent` (new span id) or starts a new trace. */
export function continueTrace(header: string | undefined): TraceContext {
  const m = header?.trim().toLowerCase().match(TRACEPARENT);
  const traceId = m?.[1] && !/^0+$/.test(m[1]) ? m[1] : randomHex(16);
  return { traceId, spanId: randomHex(8), flags: m?.[3] ?? "01" };
}

export function traceparent(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${t.flags}`;
}
