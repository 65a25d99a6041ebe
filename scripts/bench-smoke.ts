/**
 * CI's load smoke: starts a small `serve:bench` (fresh data, 60 products,
 * 120 customers), runs every scenario under the `smoke` profile, follows one
 * checkout through every Worker by its trace id (load/trace-check.ts over the
 * Workers' log lines), and stops it. Fails on broken invariants (oversell,
 * dangling holds, stale reads, 5xx, unexpected outcomes, a lost trace), never
 * on machine-dependent speed: the smoke
 * SLOs in load/slo.json contain no latency gates.
 *   node scripts/bench-smoke.ts   (ports: BENCH_PORT 8798-8800, BENCH_PG_PORT 55441)
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

// Its own state file and ports, so it can run beside a long-lived `npm run serve:bench`.
const STATE = ".tmp/bench-smoke-state.json";
process.env.BENCH_STATE_FILE = STATE;
const port = process.env.BENCH_PORT ?? "8798";
const pgPort = process.env.BENCH_PG_PORT ?? "55441";
const runs: string[][] = [
  ["browse", "--rate", "20"],
  ["shopper", "--rate", "20", "--customers", "20"],
  ["admin", "--rate", "10"],
  ["flash-sale", "--shoppers", "100", "--units", "10"],
];

// Every Worker log line, for the trace check (one checkout followed through every Worker by trace id).
const LOG_FILE = ".tmp/bench-smoke-workers.log";
rmSync(LOG_FILE, { force: true });

const server = spawn("node", ["scripts/serve-bench.ts", "--fresh", "--data-dir", ".tmp/bench-smoke", "--log-file", LOG_FILE, "--products", "60", "--customers", "120", "--port", port, "--pg-port", pgPort], { stdio: ["ignore", "inherit", "inherit"] });

function stopServer(): void {
  if (server.pid && server.exitCode === null) server.kill("SIGINT");
}

async function waitForState(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) return false;
    if (existsSync(STATE) && (JSON.parse(readFileSync(STATE, "utf8")) as { pids: { serveBench: number } }).pids.serveBench === server.pid) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function main(): Promise<number> {
  if (!(await waitForState(300_000))) {
    console.error("bench smoke: serve:bench did not come up");
    return 1;
  }
  const failed: string[] = [];
  for (const args of runs) {
    const r = spawnSync("node", ["load/cli.ts", ...(args as string[]), "--profile", "smoke", "--target", `http://127.0.0.1:${port}`], { stdio: "inherit", timeout: 180_000 });
    if (r.status !== 0) failed.push(args[0] as string);
  }
  const trace = spawnSync("node", ["load/trace-check.ts", "--target", `http://127.0.0.1:${port}`, "--log-file", LOG_FILE], { stdio: "inherit", timeout: 60_000 });
  if (trace.status !== 0) failed.push("trace propagation");
  if (failed.length) console.error(`bench smoke: broken in ${failed.join(", ")}`);
  else console.log("bench smoke: every scenario kept its invariants");
  return failed.length ? 1 : 0;
}

process.on("SIGINT", () => {
  stopServer();
  process.exit(130);
});
main().then(
  async (code) => {
    stopServer();
    await new Promise((r) => server.once("exit", r));
    process.exit(code);
  },
  (err: unknown) => {
    console.error(err);
    stopServer();
    process.exit(1);
  },
);
