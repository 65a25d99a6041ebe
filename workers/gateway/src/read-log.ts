import type { TraceContext } from "../../../shared/trace.ts";

/**
 * The request lines of cached reads (cached-read.ts), written in batches.
 *
 * Every request still gets its record (request id, trace, route, status,
 * duration, and `at`, when it was answered); the fast path writes up to
 * `MAX_RECORDS` of them as one line, at the latest `FLUSH_AFTER_MS` after the
 * first. A `console.log` call was a fifth of a cached read's workerd CPU
 * whatever the line held (load/FINDINGS.md, seventeenth session), and every
 * line is one more Workers Logs event. A cached read always answers 200, so nothing in a
 * batch is an error; errors and every other request keep a line of their own
 * (middleware/request-context.ts).
 *
 * The line is written by the request that fills the batch, or from a timer
 * in the `waitUntil` of the request that opened it (timers can run late on a
 * busy isolate): the runtime keeps the isolate alive for it, so records are
 * lost only if the isolate itself dies first. A batch's line shows in Workers
 * Logs under the invocation that wrote it; each record names its own request,
 * so a text search for a request id finds it. At most 100 records of at most
 * ~450 bytes each keep a line far below Workers Logs' per-invocation limit.
 */

export const MAX_RECORDS = 100;
export const FLUSH_AFTER_MS = 100;

export interface ReadRecord {
  requestId: string;
  traceId: string;
  spanId: string;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  /** When the response was ready (ms since the epoch); the line is written later. */
  at: number;
}

export class ReadLog {
  private records: ReadRecord[] = [];
  private version = "";

  constructor(
    private readonly write: (line: string) => void = (line) => console.log(line),
    private readonly maxRecords = MAX_RECORDS,
    private readonly flushAfterMs = FLUSH_AFTER_MS,
  ) {}

  /** Adds one request's record; the request's `waitUntil` keeps it alive until the batch it opened is written. */
  add(r: { requestId: string; trace: TraceContext; route: string; started: number; version: string }, ctx: Pick<ExecutionContext, "waitUntil">): void {
    if (this.records.length > 0 && r.version !== this.version) this.flush(); // one version per line (an isolate runs one)
    const at = Date.now();
    this.version = r.version;
    this.records.push({ requestId: r.requestId, traceId: r.trace.traceId, spanId: r.trace.spanId, method: "GET", route: r.route, status: 200, durationMs: at - r.started, at });
    if (this.records.length >= this.maxRecords) this.flush();
    else if (this.records.length === 1) ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, this.flushAfterMs)).then(() => this.flush()));
  }

  /** Writes what is pending as one line (nothing when nothing is). */
  flush(): void {
    if (this.records.length === 0) return;
    const requests = this.records;
    this.records = [];
    this.write(JSON.stringify({ level: "info", worker: "gateway", msg: "cached reads", version: this.version, count: requests.length, requests }));
  }

  get pending(): number {
    return this.records.length;
  }
}

/** The isolate's one batch of cached-read records. */
export const readLog = new ReadLog();
