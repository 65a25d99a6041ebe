/**
 * `npm run perf-breakdown -- [--seconds S] [--pid P] [--top N]`: where the
 * whole workerd process of a running `npm run serve:bench` spends its CPU,
 * sampled with Linux `perf` while you drive load at it.
 *
 * `npm run profile` (V8's profiler, one isolate at a time) cannot say this:
 * every isolate and Durable Object shares workerd's one thread, so each
 * isolate's profile charges it time that other isolates and the runtime
 * spent, and the runtime's own work (RPC, the event loop, Durable Object
 * SQLite, syscalls) shows only as "(program)". `perf` samples the thread,
 * whatever runs on it, so the shares below add up to 100%.
 *
 * Each sample goes to the first category found walking from the leaf up:
 * JavaScript (edgeshop's code, its libraries and V8's builtins) or one of the
 * runtime's parts. JavaScript frames have names when serve:bench was started
 * with `--perf-map` (V8 writes /tmp/perf-<pid>.map); without it they count as
 * unsymbolised JavaScript.
 *
 *   npm run serve:bench -- --perf-map                         # terminal 1
 *   npm run load -- bench --only checkout --duration 30         # terminal 2
 *   npm run perf-breakdown -- --seconds 10                     # terminal 3
 *
 * Needs `perf` (Debian: `apt-get install linux-perf`). It samples only the
 * workerd process and stops by itself after S seconds.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { categoryOf, samplesOf } from "./lib/perf-samples.ts";
import { benchState } from "./lib/target.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, pid: { type: "string" }, top: { type: "string", default: "15" } },
});

/** The workerd process serve:bench started: its child whose command is workerd. */
function benchWorkerdPid(): number {
  const parent = (benchState() as { pids?: { serveBench?: number } } | undefined)?.pids?.serveBench;
  if (!parent) throw new Error("no serve:bench running (no .tmp/bench/state.json); pass --pid");
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? [];
      if (comm === "workerd" && Number(rest?.split(" ")[1]) === parent) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no workerd child of serve:bench (pid ${parent}); pass --pid`);
}

const pid = values.pid ? Number(values.pid) : benchWorkerdPid();
mkdirSync(".tmp/perf", { recursive: true });
const data = ".tmp/perf/perf.data";
console.log(`sampling workerd (pid ${pid}) for ${values.seconds} s...`);
const record = spawnSync("perf", ["record", "-F", "999", "-g", "-p", String(pid), "-o", data, "--", "sleep", values.seconds], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
if (record.error || record.status !== 0) {
  console.error(`perf record failed: ${record.error?.message ?? record.stderr}\n(install it with apt-get install linux-perf)`);
  process.exit(2);
}
const script = spawnSync("perf", ["script", "-i", data], { encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] });
const samples = samplesOf(script.stdout);
if (samples.length === 0) {
  console.error("no samples: was workerd busy?");
  process.exit(1);
}

const share = (n: number) => `${((n / samples.length) * 100).toFixed(1).padStart(5)}%`;
const count = <K>(keys: K[]) => [...keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<K, number>())].sort((a, b) => b[1] - a[1]);

console.log(`\n${samples.length} samples of workerd (its threads together; the Workers all run on one)\n\nwhere the time goes:`);
for (const [category, n] of count(samples.map(categoryOf))) console.log(`${share(n)}  ${category}`);

// The JavaScript frame nearest the leaf: its own time plus the runtime work it called (e.g. a SQL statement).
console.log(`\nJavaScript functions nearest the sampled frame (bundle:line; with the runtime calls they made):`);
const js = samples.map((s) => s.find((f) => f.startsWith("JS:"))).filter((f): f is string => f !== undefined);
for (const [frame, n] of count(js.map((f) => f.replace(/ \(.*\)$/, ""))).slice(0, Number(values.top))) console.log(`${share(n)}  ${frame}`);

console.log(`\nnative frames with the most self time:`);
const leaves = samples.map((s) => s[0] ?? "").filter((f) => !f.startsWith("JS:") && !f.startsWith("[unknown]"));
for (const [frame, n] of count(leaves.map((f) => f.replace(/ \(.*\)$/, "").slice(0, 120))).slice(0, Number(values.top))) console.log(`${share(n)}  ${frame}`);
