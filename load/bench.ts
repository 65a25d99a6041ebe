/**
 * `npm run load -- bench`: the figures issues 3, 4 and 7 ask for, in one run
 * on one workerd: the hello-world ceiling, product get/list with the cache
 * warm (and p99 at 50% of their maximum), reservations/s on one hot StockDO,
 * checkouts/s at 10 and 50 concurrent shoppers with per-step percentiles
 * (shoppers that never pause, then 50 that pause 0.5-1.5 s after each step),
 * the flash sale, and pgbench TPS of the same PostgreSQL.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { runPgbench } from "../scripts/bench-postgres.ts";
import { benchCheckout, benchFlashSale, benchReserve, benchTraceSampling } from "./bench-writes.ts";
import { closedLoop, cpuNote, setSamplePids } from "./lib/closed-loop.ts";
import { discoverCatalog } from "./lib/fixtures.ts";
import { HttpClient } from "./lib/http.ts";
import { runOpenModel } from "./lib/open-model.ts";
import { Recorder } from "./lib/recorder.ts";
import { gcNote, setGcTrace } from "./lib/gc-window.ts";
import { pick } from "./lib/context.ts";
import { median, roundRatios } from "./lib/ratios.ts";
import type { BenchState } from "./lib/target.ts";

export interface BenchOptions {
  target: string;
  local?: BenchState;
  only?: string[];
  durationS: number;
  outDir: string;
}

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  p50?: number;
  p95?: number;
  p99?: number;
  note?: string;
}

const CONCURRENCY = 32;

/**
 * The anonymous callers a read benchmark stands for: addresses from the
 * benchmarking range (RFC 2544's 198.18.0.0/15) as `cf-connecting-ip`, so the
 * gateway's per-IP limiter counts them as the many clients they model
 * instead of refusing one address's 100,000th request of the minute.
 */
const readHeaders = () => ({ "cf-connecting-ip": `198.18.${Math.floor(Math.random() * 4)}.${Math.floor(Math.random() * 256)}` });

/** Max req/s of one GET path: a closed loop of CONCURRENCY connections, as a figure named `label`. */
async function readMax(label: string, name: string, http: HttpClient, durationS: number, path: () => string): Promise<{ perSecond: number; figure: BenchFigure }> {
  const max = await closedLoop(http, CONCURRENCY, durationS, () => (ctx) => ctx.step(name, "GET", path(), { headers: readHeaders() }).then(() => undefined));
  const s = max.recorder.overall().summary();
  const errors = max.recorder.totals().errors;
  const note = `${CONCURRENCY} connections, closed loop${errors ? `, ${errors} errors` : ""}; ${cpuNote(max, s.count)}`;
  return { perSecond: max.perSecond, figure: { name: label, value: max.perSecond, unit: "req/s", p50: s.p50, p95: s.p95, p99: s.p99, note } };
}

/** Max req/s of one GET path (closed loop), then p99 at 50% of that rate (open model). */
async function readBench(name: string, http: HttpClient, durationS: number, path: () => string, out: BenchFigure[]): Promise<number> {
  const max = await readMax(`${name} max`, name, http, durationS, path);
  out.push(max.figure);
  const half = Math.max(1, Math.round(max.perSecond / 2));
  const rec = new Recorder();
  const since = Date.now();
  await runOpenModel(http, rec, { stages: [{ durationS, from: half, to: half }], journey: () => (ctx) => ctx.step(name, "GET", path(), { headers: readHeaders() }).then(() => undefined) });
  const h = rec.overall().summary();
  out.push({ name: `${name} at 50% of max`, value: half, unit: "req/s offered", p50: h.p50, p95: h.p95, p99: h.p99, note: `open model, latency from intended send time${gcNote(since, Date.now())}` });
  return max.perSecond;
}

/**
 * Each read's max as a share of the ceiling, taken as the faster of the two
 * hello-world runs (before and after the reads). On a just-started stack the
 * first run can land in start-up work and measure half the ceiling (7,893
 * against 15,593 req/s minutes later, 2026-11-27), which would double every
 * ratio; the faster run never flatters the reads.
 */
function readRatios(reads: { name: string; max: number }[], before: number, after: { perSecond: number; figure: BenchFigure }, out: BenchFigure[]): BenchFigure[] {
  const ceiling = Math.max(before, after.perSecond);
  const added = [after.figure, ...reads.map((r) => ({ name: `${r.name} / hello-world`, value: Math.round((r.max / ceiling) * 100), unit: "% of ceiling", note: `of ${Math.round(ceiling)} req/s, the faster hello-world run` }))];
  out.push(...added);
  return added;
}

/** One interleaved slice: a closed loop this long, after this much warm-up. */
const SLICE_S = 2;
const SLICE_WARMUP_S = 0.5;

/** A GET path measured against hello-world. */
interface ReadPath {
  name: string;
  http: HttpClient;
  path: () => string;
}

/**
 * Each read as a share of hello-world measured in the same minute: `rounds`
 * rounds of short closed loops, hello-world and every read once per round in
 * a shuffled order, and the median of each round's read/hello-world ratio.
 * Runs minutes apart drift: on one stack hello-world measured 15,736 and then
 * 9,793 req/s with only reads in between (2026-11-27), and the ratios of
 * separate runs carry that drift, in either direction. Slices a few seconds
 * apart see the same machine.
 */
async function interleavedRatios(hello: ReadPath, reads: ReadPath[], rounds: number): Promise<BenchFigure[]> {
  const rates = new Map<string, number[]>([hello, ...reads].map((r) => [r.name, []]));
  let errors = 0;
  for (let round = 0; round < rounds; round++) {
    for (const r of [hello, ...reads].sort(() => Math.random() - 0.5)) {
      const slice = await closedLoop(r.http, CONCURRENCY, SLICE_S, () => (ctx) => ctx.step(r.name, "GET", r.path(), { headers: readHeaders() }).then(() => undefined), SLICE_WARMUP_S);
      errors += slice.recorder.totals().errors;
      rates.get(r.name)!.push(slice.perSecond);
    }
  }
  const helloRates = rates.get(hello.name)!;
  const pct = (ratio: number) => Math.round(ratio * 100);
  return reads.map((r) => {
    const { median: m, min, max } = roundRatios(rates.get(r.name)!, helloRates);
    const note = `median of ${rounds} rounds of ${SLICE_S} s slices, each read against hello-world in the same round; range ${pct(min)}-${pct(max)}%; hello-world median ${Math.round(median(helloRates))} req/s${errors ? `; ${errors} errors` : ""}`;
    return { name: `${r.name} / hello-world, interleaved`, value: pct(m), unit: "% of ceiling", note };
  });
}

/** Runs the selected benchmarks, prints a table and writes load/reports/<stamp>-bench.json. */
export async function runBench(o: BenchOptions): Promise<number> {
  const want = (n: string) => !o.only || o.only.includes(n);
  const loadAvgAtStart = loadavg();
  if (o.local) setSamplePids(o.local.pids);
  setGcTrace(o.local?.gcTrace);
  console.log(`load average before: ${loadAvgAtStart.map((l) => l.toFixed(2)).join(" / ")} on ${cpus().length} cores`);
  const figures: BenchFigure[] = [];
  const http = new HttpClient(o.target, 256);
  const hello: ReadPath | undefined = want("hello") && o.local ? { name: "hello-world", http: new HttpClient(o.local.hello, 256), path: () => "/" } : undefined;
  const print = (f: BenchFigure) =>
    console.log(`${f.name.padEnd(44)} ${String(f.value).padStart(9)} ${f.unit.padEnd(14)} ${(["p50", "p95", "p99"] as const).filter((k) => f[k] !== undefined).map((k) => `${k} ${f[k]} ms`).join("  ")}${f.note ? `  (${f.note})` : ""}`);
  const push = (list: BenchFigure[]) => list.forEach(print);
  let helloMax = 0;
  try {
    if (hello) {
      const before = figures.length;
      helloMax = await readBench(hello.name, hello.http, o.durationS, hello.path, figures);
      push(figures.slice(before));
    }
    // The reads come right after the ceiling they are compared with, before anything heavier. After the RPC and
    // Postgres probes a cached read cost 0.21-0.24 ms of workerd CPU instead of 0.13-0.15 ms on the same stack
    // (load/FINDINGS.md, seventeenth session), so the ratio measured there was the probes' aftermath.
    // One page (100 products) is all the read benchmarks use. Listing the whole catalog first would wake
    // every SKU's StockDO (3,000 on the bench seed) right before the measurement, and that aftermath
    // outlasts the warm-up: 0.26-0.39 ms per product read after a full listing, 0.21-0.23 after one page.
    const catalog = want("product-get") || want("product-list") ? await discoverCatalog(http, 1) : undefined;
    // A fixed hot set of 100 products: "cache warm" means these were read before and are read again.
    const hot = catalog?.productIds.slice(0, 100) ?? [];
    const readPaths: ReadPath[] = [
      ...(catalog && want("product-get") ? [{ name: "product.get", http, path: () => `/v1/products/${pick(hot)}` }] : []),
      ...(catalog && want("product-list") ? [{ name: "products.list", http, path: () => "/v1/products?limit=20" }] : []),
    ];
    const reads: { name: string; max: number }[] = [];
    for (const r of readPaths) {
      const before = figures.length;
      reads.push({ name: r.name, max: await readBench(r.name, r.http, o.durationS, r.path, figures) });
      push(figures.slice(before));
    }
    if (hello && reads.length > 0) {
      push(readRatios(reads, helloMax, await readMax("hello-world max, again after the reads", hello.name, hello.http, o.durationS, hello.path), figures));
      const added = await interleavedRatios(hello, readPaths, Math.max(3, Math.round(o.durationS)));
      figures.push(...added);
      push(added);
    }
    if (want("gateway-floor")) {
      // An unknown route runs only the gateway's middleware (auth/rate limit/logging/Sentry): the floor under every API call.
      const floor = await closedLoop(http, CONCURRENCY, o.durationS, () => (ctx) => ctx.step("404", "GET", "/v1/__bench_unknown", { expect: [404], headers: readHeaders() }).then(() => undefined));
      const s = floor.recorder.overall().summary();
      const f = { name: "gateway floor: unknown route -> 404 (max)", value: floor.perSecond, unit: "req/s", p50: s.p50, p95: s.p95, p99: s.p99, note: cpuNote(floor, s.count) };
      figures.push(f);
      print(f);
    }
    if (want("db-session") && o.local) push(await benchDbSession(o.local.probe, o.durationS, figures));
    if (want("reserve") && o.local) push(await benchReserve(http, o.local.probe, o.durationS, figures));
    if (want("checkout")) {
      // Saturation (shoppers that never pause) at 10 and 50, then 50 shoppers pausing ~1 s after each step.
      for (const [shoppers, thinkMs] of [[10, 0], [50, 0], [50, 1000]] as const) push(await benchCheckout(http, shoppers, o.durationS, figures, o.local?.seedId, thinkMs));
    }
    if (want("flash-sale")) push(await benchFlashSale(o.target, o.local, figures));
    // Opt-in: what span lines cost, sampled against the gateway's rate on one stack.
    if (o.only?.includes("trace-sampling") && o.local) push(await benchTraceSampling(http, o.durationS, figures, o.local));
    if (want("pgbench") && o.local?.pgPort) {
      const tps = runPgbench(o.local.pgPort, 16, o.durationS);
      const f = { name: "pgbench TPC-B (16 clients, same PostgreSQL)", value: Math.round(tps), unit: "TPS" };
      figures.push(f);
      print(f);
    }
  } finally {
    http.close();
    hello?.http.close();
  }
  mkdirSync(o.outDir, { recursive: true });
  const at = new Date().toISOString();
  const file = `${o.outDir}/${at.replace(/[:.]/g, "-").slice(0, 19)}-bench.json`;
  writeFileSync(file, JSON.stringify({ at, target: o.target, loadAvgAtEnd: loadavg(), loadAvgAtStart, cores: cpus().length, cpu: cpus()[0]?.model, command: `npm run load -- ${process.argv.slice(2).join(" ")}`, figures }, null, 2));
  // The same figures as a Markdown table, ready for the README's Performance section.
  const cell = (v: number | undefined) => (v === undefined ? "" : String(v));
  const md = [`Measured ${at} against ${o.target} (${cpus().length} cores, load average ${loadAvgAtStart.map((l) => l.toFixed(1)).join("/")} before).`, "", "| figure | value | p50 ms | p95 ms | p99 ms | notes |", "|---|---|---|---|---|---|"];
  for (const f of figures) md.push(`| ${f.name.trim()} | ${f.value} ${f.unit} | ${cell(f.p50)} | ${cell(f.p95)} | ${cell(f.p99)} | ${f.note ?? ""} |`);
  writeFileSync(file.replace(/\.json$/, ".md"), `${md.join("\n")}\n`);
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(" / ")}\nfigures: ${file}`);
  return 0;
}

/**
 * What one Postgres session costs a Worker: the probe's `/rpc` (one RPC to
 * the catalog) against `/db` (the same RPC opening a pool, connecting through
 * the Neon WebSocket proxy, `select 1`, ending it). The difference in workerd
 * CPU per call is the session's own cost, paid by every Worker call that
 * touches Postgres.
 */
async function benchDbSession(probeUrl: string, durationS: number, figures: BenchFigure[]): Promise<BenchFigure[]> {
  const before = figures.length;
  const probe = new HttpClient(probeUrl, 64);
  try {
    // workerd CPU per call by path; a price is the difference between a row and the row it extends.
    const cpu = new Map<string, number>();
    for (const [name, path] of [["probe answering by itself (floor of the rows below)", "/plain"], ["Cache API lookup that hits (Miniflare's emulator)", "/cache-match"], ["queue message sent and delivered (Miniflare's emulator)", "/queue-send"], ["RPC to a bare entrypoint (probe -> bare.health)", "/rpc-bare"], ["RPC to a bare entrypoint that logs one line", "/rpc-bare-log"], ["RPC only (probe -> catalog.health)", "/rpc"], ["RPC + Postgres session (select 1)", "/db"], ["RPC + Postgres HTTP query (select 1)", "/db-http"]] as const) {
      const r = await closedLoop(probe, 8, durationS, () => (ctx) => ctx.step(path, "GET", path).then(() => undefined));
      const s = r.recorder.overall().summary();
      const w = r.cpu.workerd;
      if (w !== undefined && s.count > 0) cpu.set(path, (w * 10 * r.durationS) / s.count);
      figures.push({ name, value: r.perSecond, unit: "calls/s", p50: s.p50, p95: s.p95, p99: s.p99, note: `8 concurrent; ${cpuNote(r, s.count, "call")}` });
    }
    for (const [name, path, base, unit] of [
      ["one emulated Cache API hit, workerd CPU", "/cache-match", "/plain", "ms/lookup"],
      ["one emulated queue message, workerd CPU", "/queue-send", "/plain", "ms/message"],
      ["one log line in an RPC, workerd CPU", "/rpc-bare-log", "/rpc-bare", "ms/line"],
      ["edgeshop's wrapping of one RPC, workerd CPU", "/rpc", "/rpc-bare", "ms/call"],
      ["one Postgres session, workerd CPU", "/db", "/rpc", "ms/session"],
      ["one Postgres HTTP query, workerd CPU", "/db-http", "/rpc", "ms/query"],
    ] as const) {
      const [measured, floor] = [cpu.get(path), cpu.get(base)];
      if (measured !== undefined && floor !== undefined) figures.push({ name, value: Math.round((measured - floor) * 100) / 100, unit });
    }
  } finally {
    probe.close();
  }
  return figures.slice(before);
}
