/**
 * When serve:bench runs with `--trace-gc FILE`, a benchmark stage's note says which garbage
 * collections paused workerd's one thread during it: a full collection there stops every Worker and
 * Durable Object on the bench, for 64-316 ms as measured here: that is where the open-model tails come from.
 */
import { existsSync, readFileSync } from "node:fs";
import { isFullCollection, parseGcTrace, type GcPause } from "../gc-pauses.ts";

let traceFile: string | undefined;

/** The trace file of the running serve:bench (its state.json `gcTrace`), or none. */
export function setGcTrace(file: string | null | undefined): void {
  traceFile = file ?? undefined;
}

/** The collections read from the trace during [since, until]; undefined when nothing is traced. */
function pausesBetween(since: number, until: number): GcPause[] | undefined {
  if (!traceFile || !existsSync(traceFile)) return undefined;
  return parseGcTrace(readFileSync(traceFile, "utf8")).filter((p) => p.at >= since && p.at <= until);
}

const totalMs = (list: GcPause[]) => list.reduce((n, p) => n + p.pauseMs, 0);
const longestMs = (list: GcPause[]) => list.reduce((m, p) => Math.max(m, p.pauseMs), 0);

/** "; GC on workerd's thread: 2 full (max 153 ms, 290 ms in all), 14 scavenges (120 ms)" for [since, until], or "" without a trace. */
export function gcNote(since: number, until: number): string {
  const pauses = pausesBetween(since, until);
  if (!pauses) return "";
  const full = pauses.filter(isFullCollection);
  const scavenges = pauses.filter((p) => !isFullCollection(p));
  const fullDetail = full.length ? ` (max ${longestMs(full).toFixed(0)} ms, ${totalMs(full).toFixed(0)} ms in all)` : "";
  return `; GC on workerd's thread: ${full.length} full${fullDetail}, ${scavenges.length} scavenges (${totalMs(scavenges).toFixed(0)} ms)`;
}

/**
 * A report finding for [since, until] when serve:bench traces GC: how often and how long collections
 * stopped workerd's thread, and their share of the run. Undefined without a trace.
 */
export function gcFinding(since: number, until: number): string | undefined {
  const pauses = pausesBetween(since, until);
  if (!pauses) return undefined;
  const share = until > since ? (totalMs(pauses) / (until - since)) * 100 : 0;
  return (
    `Garbage collection stopped workerd's thread ${pauses.length} times (${pauses.filter(isFullCollection).length} full collections), longest ${longestMs(pauses).toFixed(0)} ms, ` +
    `${share.toFixed(1)}% of the run; every Worker and Durable Object on it waits out each pause, so long ones show as latency spikes (npm run gc-pauses).`
  );
}
