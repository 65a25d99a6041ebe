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
