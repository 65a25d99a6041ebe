/**
 * Where a run goes. By default the `npm run serve:bench` stack described in
 * .tmp/bench/state.json (or 127.0.0.1:8788). A --target that is not a
 * loopback address is refused unless --allow-remote is given: a load test
 * aimed at the wrong host is an attack.
 */
import { existsSync, readFileSync } from "node:fs";

export interface BenchState {
  gateway: string;
  hello: string;
  probe: string;
  pids: { serveBench: number | null; postgres: number | null; pgbouncer?: number | null };
  pgPort: number | null;
  seed: { products: number; customers: number };
  seedId: string;
  /** `serve:bench --trace-gc FILE`: V8's GC trace of the bench's workerd. */
  gcTrace?: string | null;
  /** The gateway's TRACE_SAMPLE_RATE on the bench (production's unless `--trace-sample-rate`). */
  traceSampleRate?: string;
}

export const STATE_FILE = process.env.BENCH_STATE_FILE ?? ".tmp/bench/state.json";

/** The running serve:bench stack, if any. */
export function benchState(): BenchState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  const state = JSON.parse(readFileSync(STATE_FILE, "utf8")) as BenchState;
  try {
    if (state.pids.serveBench) process.kill(state.pids.serveBench, 0);
  } catch {
    return undefined; // stale file: serve:bench is gone
  }
  return state;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "::1" || hostname === "[::1]";
}

/** Resolves the target URL and enforces the loopback rule; throws with the reason. */
export function resolveTarget(target: string | undefined, allowRemote: boolean): { url: string; local: BenchState | undefined } {
  const state = benchState();
  const url = new URL(target ?? state?.gateway ?? "http://127.0.0.1:8788");
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`--target must be an http(s) URL, got ${url.protocol}`);
  if (!isLoopbackHost(url.hostname) && !allowRemote) {
    throw new Error(`refusing to load-test ${url.host}: not a loopback address. Pass --allow-remote if you own that deployment and mean it.`);
  }
  const base = url.toString().replace(/\/$/, "");
  return { url: base, local: state && state.gateway === base ? state : undefined };
}
