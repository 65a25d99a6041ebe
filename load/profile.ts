/**
 * `npm run profile -- <worker> [--seconds S] [--top N]`: a CPU profile of one
 * Worker of a running `npm run serve:bench -- --inspect-port 9230`, taken
 * through workerd's inspector (Chrome DevTools protocol) while you drive load
 * at it. Prints the functions with the most self time and where the samples
 * went by bundle module, and writes the .cpuprofile (open it in Chrome
 * DevTools > Performance) to load/reports/.
 *
 *   npm run serve:bench -- --inspect-port 9230            # terminal 1
 *   npm run load -- bench --only product-get --duration 20  # terminal 2
 *   npm run profile -- gateway --seconds 10               # terminal 3
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchState } from "./lib/target.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: "string", default: "10" }, top: { type: "string", default: "30" }, inspector: { type: "string" } },
});
const worker = positionals[0];
if (!worker) {
  console.error("usage: npm run profile -- <worker script name, e.g. edgeshop-gateway> [--seconds S] [--top N]");
  process.exit(2);
}
const inspector = values.inspector ?? (benchState() as { inspector?: string | null } | undefined)?.inspector;
if (!inspector) {
  console.error("no inspector: start `npm run serve:bench -- --inspect-port 9230` (or pass --inspector http://127.0.0.1:PORT)");
  process.exit(2);
}

const targets = (await (await fetch(`${inspector}/json`)).json()) as { id: string; title: string; webSocketDebuggerUrl: string }[];
// An edgeshop Worker by short name (gateway, catalog...), or any workerd worker by id (e.g. cache:cache).
const name = worker.includes(":") || worker.startsWith("edgeshop-") || worker.startsWith("bench-") ? worker : `edgeshop-${worker}`;
const target = targets.find((t) => t.id === name || t.id === `core:user:${name}`);
if (!target) {
  console.error(`no Worker ${name} at ${inspector}; have: ${targets.map((t) => t.title).join(", ")}`);
  process.exit(2);
}
const wsUrl = target.webSocketDebuggerUrl;

const ws = new WebSocket(wsUrl);
let nextId = 1;
const pending = new Map<number, (r: unknown) => void>();
ws.addEventListener("message", (e) => {
  const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: { message: string } };
  if (msg.id === undefined) return;
  const done = pending.get(msg.id);
  pending.delete(msg.id);
  if (msg.error) throw new Error(msg.error.message);
  done?.(msg.result);
});
function send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise((r) => pending.set(id, r as (v: unknown) => void));
}
await new Promise((r, j) => {
  ws.addEventListener("open", r);
  ws.addEventListener("error", j);
});

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
console.log(`profiling ${name} for ${values.seconds} s...`);
await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
const { profile } = await send<{ profile: CpuProfile }>("Profiler.stop");
ws.close();

// Self time per node: each sample is charged to the node it landed in.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self.entries()].filter(([id]) => ["(idle)", "(program)", "(garbage collector)"].includes(byId.get(id)?.callFrame.functionName ?? "")).reduce((a, [, t]) => a + t, 0);

const fnTime = new Map<string, number>();
const moduleTime = new Map<string, number>();
for (const [id, t] of self) {
  const f = byId.get(id)?.callFrame;
  if (!f) continue;
  const where = f.url ? `${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}` : "";
  const key = `${f.functionName || "(anonymous)"} ${where}`;
  fnTime.set(key, (fnTime.get(key) ?? 0) + t);
  const mod = f.url ? f.url.split("/").slice(-2).join("/") : f.functionName;
  moduleTime.set(mod, (moduleTime.get(mod) ?? 0) + t);
}
const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
const ms = (t: number) => `${(t / 1000).toFixed(0).padStart(7)} ms`;
console.log(`\n${name}: ${ms(total)} sampled, ${pct(total - idle)} busy (idle/program/GC ${ms(idle)})\n\nself time by function:`);
for (const [k, t] of [...fnTime].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${ms(t)} ${pct(t)}  ${k}`);
console.log("\nself time by script:");
for (const [k, t] of [...moduleTime].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`${ms(t)} ${pct(t)}  ${k}`);
mkdirSync("load/reports", { recursive: true });
const file = `load/reports/${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}-${name.replace(/:/g, "_")}.cpuprofile`;
writeFileSync(file, JSON.stringify(profile));
console.log(`\nprofile: ${file}`);
