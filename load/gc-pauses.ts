/**
 * Sums up a GC trace from `serve:bench --trace-gc FILE`: per isolate, how many scavenges and full
 * (mark-compact) collections ran and how long they paused workerd's one thread, then every pause at
 * or over --over ms (default 50) with its wall-clock time, to lay beside a latency timeline.
 *   npm run gc-pauses -- FILE [--over 50] [--since EPOCH_MS] [--until EPOCH_MS]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

/** `<read at ms> [pid:0xisolate(:n)]   <isolate ms> ms: <kind> <before> (<committed>) -> <after> (<committed>) MB, ... <pause> / <time in the embedder's GC callbacks> ms ...` */
const LINE = /^(\d+) \[\d+:(0x[0-9a-f]+)(?::\d+)?\]\s+\d+ ms: ([A-Za-z -]+?)(?: \([a-z ]+\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB,.*? ([\d.]+) \/ [\d.]+ ms/;

/** One collection: when its line was read, which isolate, what kind, heap before and after, the pause. */
export interface GcPause {
  at: number;
  isolate: string;
  kind: string;
  beforeMb: number;
  afterMb: number;
  pauseMs: number;
}

/** Every collection in a trace file; lines that are not `--trace-gc` lines are skipped. */
export function parseGcTrace(text: string): GcPause[] {
  const out: GcPause[] = [];
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (m) out.push({ at: Number(m[1]), isolate: m[2]!, kind: m[3]!, beforeMb: Number(m[4]), afterMb: Number(m[5]), pauseMs: Number(m[6]) });
  }
  return out;
}

interface IsolateTotals {
  scavenges: number;
  scavengeMs: number;
  full: number;
  fullMs: number;
  longestMs: number;
  liveAfterFullMb: number | null;
}

/** Any collection that is not a scavenge (mark-compact, mark-sweep) works on the whole heap. */
export function isFullCollection(p: GcPause): boolean {
  return p.kind !== "Scavenge";
}

/** Counts and pause totals per isolate. */
export function totalsByIsolate(pauses: GcPause[]): Map<string, IsolateTotals> {
  const byIsolate = new Map<string, IsolateTotals>();
  for (const p of pauses) {
    const t = byIsolate.get(p.isolate) ?? { scavenges: 0, scavengeMs: 0, full: 0, fullMs: 0, longestMs: 0, liveAfterFullMb: null };
    if (isFullCollection(p)) {
      t.full += 1;
      t.fullMs += p.pauseMs;
      t.liveAfterFullMb = p.afterMb;
    } else {
      t.scavenges += 1;
      t.scavengeMs += p.pauseMs;
    }
    t.longestMs = Math.max(t.longestMs, p.pauseMs);
    byIsolate.set(p.isolate, t);
  }
  return byIsolate;
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { over: { type: "string", default: "50" }, since: { type: "string" }, until: { type: "string" } } });
  const file = positionals[0];
  if (!file) throw new Error("usage: npm run gc-pauses -- FILE [--over 50] [--since EPOCH_MS] [--until EPOCH_MS]");
  const since = Number(values.since ?? 0);
  const until = Number(values.until ?? Number.MAX_SAFE_INTEGER);
  const pauses = parseGcTrace(readFileSync(file, "utf8")).filter((p) => p.at >= since && p.at <= until);
  const rows = [...totalsByIsolate(pauses)].sort((a, b) => b[1].fullMs + b[1].scavengeMs - (a[1].fullMs + a[1].scavengeMs));
  console.log("isolate             scavenges (ms)      full GCs (ms)      longest  live after last full GC");
  for (const [isolate, t] of rows) {
    const live = t.liveAfterFullMb === null ? "-" : `${t.liveAfterFullMb.toFixed(1)} MB`;
    console.log(`${isolate.padEnd(18)}  ${String(t.scavenges).padStart(5)} (${t.scavengeMs.toFixed(0).padStart(6)})   ${String(t.full).padStart(5)} (${t.fullMs.toFixed(0).padStart(6)})   ${t.longestMs.toFixed(0).padStart(5)} ms  ${live}`);
  }
  const over = Number(values.over);
  const long = pauses.filter((p) => p.pauseMs >= over);
  console.log(`\npauses >= ${over} ms: ${long.length}`);
  for (const p of long) console.log(`${new Date(p.at).toISOString()}  ${p.isolate}  ${p.kind.padEnd(12)} ${p.pauseMs.toFixed(0).padStart(5)} ms  ${p.beforeMb} -> ${p.afterMb} MB`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
