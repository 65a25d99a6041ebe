/**
 * `serve:bench --trace-gc FILE`: V8's garbage-collection trace of every isolate on the bench's workerd,
 * one line per collection with the wall-clock time it was read, so latency spikes can be laid beside
 * the pauses (`npm run gc-pauses -- FILE` sums them up).
 *
 * V8 prints its trace with C stdio, which buffers a pipe: lines would arrive only when something else
 * flushes workerd's stdout (a Worker's log line), seconds late on a quiet Worker. workerd is started
 * through `stdbuf -oL` (coreutils) so each line is read when it is written; load/tests/gc-trace.test.ts
 * fails without it.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

/** A line of `--trace-gc`: `[pid:0xisolate(:n)]   12345 ms: Scavenge|Mark-Compact ...`. */
const GC_LINE = /^\[\d+:0x[0-9a-f]+(?::\d+)?\]\s+\d+ ms: /;

/** True for a line V8's `--trace-gc` printed (as workerd passes it on), false for a Worker's log line. */
export function isGcTraceLine(message: string): boolean {
  return GC_LINE.test(message);
}

/** Makes the next Miniflare start workerd with `--trace-gc`, line-buffered, through a wrapper in `dir`. */
export function enableGcTrace(dir: string): void {
  const workerd = (createRequire(import.meta.url)("workerd") as { default: string }).default;
  const wrapper = `${dir}/workerd-trace-gc`;
  writeFileSync(wrapper, `#!/bin/sh\nexec stdbuf -oL '${workerd}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  process.env.MINIFLARE_WORKERD_PATH = wrapper;
  addWorkerdV8Flags("--trace-gc");
}

/** V8 flags for the next workerd Miniflare starts (Miniflare reads MINIFLARE_WORKERD_V8_FLAGS). */
export function addWorkerdV8Flags(...flags: string[]): void {
  process.env.MINIFLARE_WORKERD_V8_FLAGS = [process.env.MINIFLARE_WORKERD_V8_FLAGS, ...flags].filter(Boolean).join(" ");
}
