/**
 * When serve:bench runs with `--trace-gc FILE`, a benchmark stage's note says which garbage
 * collections paused workerd's one thread during it: a full collection there stops every Worker and
 * Durable Object on the bench, for 64-316 ms as measured here: that is where the open-model tails come from.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseGcTrace } from "../gc-pauses.ts";

let traceFile: string | undefined;

/** The trace file of the running serve:bench (its state.json `gcTrace`), or none. */
export function setGcTrace(file: string | null | undefined): void {
  traceFile = file ?? undefined;
}

/** "; GC on workerd's thread: 2 full (max 153 ms, 290 ms in all), 14 scavenges (120 ms)" for [since, until], or "" without a trace. */
export function gcNote(since: number, until: number): string {
  if (!traceFile || !existsSync(traceFile)) return "";
  const pauses = parseGcTrace(readFileSync(traceFile, "utf8")).filter((p) => p.at >= since && p.at <= until);
  const full = pauses.filter((p) => p.kind !== "Scavenge");
  const scavenges = pauses.filter((p) => p.kind === "Scavenge");
  const sum = (list: typeof pauses) => list.reduce((n, p) => n + p.pauseMs, 0).toFixed(0);
  const longest = full.reduce((m, p) => Math.max(m, p.pauseMs), 0).toFixed(0);
  return `; GC on workerd's thread: ${full.length} full${full.length ? ` (max ${longest} ms, ${sum(full)} ms in all)` : ""}, ${scavenges.length} scavenges (${sum(scavenges)} ms)`;
}

/**
 * A report finding for [since, until] when serve:bench traces GC: how often and how long collections
 * stopped workerd's thread, and their share of the run. Undefined without a trace.
 */
export function gcFinding(since: number, until: number): string | undefined {
  if (!traceFile || !existsSync(traceFile)) return undefined;
  const pauses = parseGcTrace(readFileSync(traceFile, "utf8")).filter((p) => p.at >= since && p.at <= until);
  const full = pauses.filter((p) => p.kind !== "Scavenge");
  const total = pauses.reduce((n, p) => n + p.pauseMs, 0);
  const longest = pauses.reduce((m, p) => Math.max(m, p.pauseMs), 0);
  const share = until > since ? (total / (until - since)) * 100 : 0;
  return (
    `Garbage collection stopped workerd's thread ${pauses.length} times (${full.length} full collections), longest ${longest.toFixed(0)} ms, ` +
    `${share.toFixed(1)}% of the run; every Worker and Durable Object on it waits out each pause, so long ones show as latency spikes (npm run gc-pauses).`
  );
}
