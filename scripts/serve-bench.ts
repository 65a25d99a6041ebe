/**
 * `npm run serve:bench`: a production-like target for load/.
 *   1. bundles every Worker exactly as `wrangler deploy` would (--dry-run --outdir)
 *   2. PostgreSQL 15 on loopback (started here, data kept in --data-dir) or DATABASE_URL,
 *      with PgBouncer in transaction mode in front of it for the Workers, as Neon's
 *      pooled endpoint is in production (--pooler none: direct connections)
 *   3. the Neon WebSocket proxy, migrations, the admin seed
 *   4. all Workers on one workerd through Miniflare (no wrangler dev proxy), with
 *      service bindings, SQLite Durable Objects persisted in the data dir, and direct
 *      sockets: gateway on --port (8788), bench-hello and bench-probe beside it
 *   5. the bench catalog through the admin API and the bench customers
 * It writes .tmp/bench/state.json for `npm run load` and ends everything it
 * started (workerd through Miniflare, the proxy, PgBouncer and PostgreSQL by PID) on exit.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Miniflare } from "miniflare";
import { startBenchPostgres, type BenchPostgres } from "./bench-postgres.ts";
import { seedCatalog, seedCustomers, type SeedPlan } from "./bench-seed.ts";
import { addWorkerdV8Flags, enableGcTrace } from "./bench-gc.ts";
import { benchMiniflare, benchWorkers, bundleAll, productionTraceSampleRate, type CacheMode, type RateLimiterMode } from "./bench-workers.ts";
import { isLoopback, migrateDatabase, withDb } from "./db.ts";
import { startWsProxy, type WsProxy } from "./neon-ws-proxy.ts";
import { startPgBouncer, stopStalePgBouncer, type PgBouncer } from "./pgbouncer.ts";
import { assertPortFree, waitForHttp } from "./ports.ts";
import { seedAll } from "./seed.ts";
import { traceSampleRate as parseSampleRate } from "../shared/trace.ts";

/**
 * Bench data is disposable (PostgreSQL already runs with fsync=off), so it lives in tmpfs when the
 * machine has one. On disk, workerd's local Durable Object storage fsyncs every SQLite commit on
 * workerd's one thread: measured here, the thread spent 24% of a checkout run blocked in fsync and
 * checkouts/s halved. Production's storage does not stall the isolate that way (durability is
 * awaited by output gates, not by blocking the thread), so the disk would measure the emulator.
 * After a reboot the tmpfs is empty and the next start seeds again.
 */
const DEFAULT_DATA_DIR = existsSync("/dev/shm") ? "/dev/shm/edgeshop-bench" : ".data/bench";
/**
 * Past this size the start says how much the data dir holds. It only grows: every checkout leaves its
 * order's and its payment's Durable Object behind (their SQLite files, ~60 KB a pair), and in tmpfs
 * that is RAM: one machine's dir had reached 12 GB (about 200,000 objects) over two days of runs.
 */
const LARGE_DATA_MB = 2048;

/** Warns, with the way out, when the bench data dir has grown past LARGE_DATA_MB (du; silent where du is missing). */
function warnIfLarge(dir: string): void {
  const du = spawnSync("du", ["-sm", dir], { encoding: "utf8" });
  const mb = Number((du.stdout ?? "").split("\t")[0]);
  if (du.status !== 0 || !Number.isFinite(mb) || mb < LARGE_DATA_MB) return;
  const where = dir.startsWith("/dev/shm/") ? " of RAM (tmpfs)" : "";
  console.warn(`note: the bench data in ${dir} takes ${(mb / 1024).toFixed(1)} GB${where}; \`npm run serve:bench -- --fresh\` wipes it and seeds again`);
}

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: process.env.BENCH_PORT ?? "8788" },
    // Default: tmpfs (see DEFAULT_DATA_DIR); e.g. `--data-dir .data/bench` keeps the data on disk.
    "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
    "pg-port": { type: "string", default: process.env.BENCH_PG_PORT ?? "55440" },
    products: { type: "string", default: "1000" },
    customers: { type: "string", default: "1000" },
    "stock-per-sku": { type: "string", default: "100000" },
    "provider-latency-ms": { type: "string" },
    "no-seed": { type: "boolean", default: false },
    fresh: { type: "boolean", default: false },
    "exit-after-seed": { type: "boolean", default: false },
    // Reuses .tmp/bench/build from the previous run (only when no Worker changed since).
    "skip-bundle": { type: "boolean", default: false },
    // Opens workerd's inspector (DevTools protocol) on this port, for `npm run profile`.
    "inspect-port": { type: "string" },
    // memory: in-memory stand-in for the Rate Limiting binding (see bench-workers.ts); miniflare: Miniflare's emulator.
    "rate-limiter": { type: "string", default: "memory" },
    // miniflare: Miniflare's Cache API emulation; off: Cache API disabled (see bench-workers.ts).
    cache: { type: "string", default: "miniflare" },
    // Appends every Worker log line (the JSON request/call lines included) to this file.
    "log-file": { type: "string" },
    // The gateway's TRACE_SAMPLE_RATE (share of requests whose calls between Workers log a line); default production's.
    "trace-sample-rate": { type: "string" },
    // V8 writes /tmp/perf-<workerd pid>.map, so `npm run perf-breakdown` names JavaScript frames.
    "perf-map": { type: "boolean", default: false },
    // Appends V8's GC trace of every isolate to this file (bench-gc.ts; `npm run gc-pauses -- FILE` sums it up).
    "trace-gc": { type: "string" },
    // pgbouncer: Workers reach the bench PostgreSQL through PgBouncer in transaction mode, as they reach
    // Neon's pooled endpoint in production (scripts/pgbouncer.ts); none: a direct connection per Worker call.
    pooler: { type: "string", default: "pgbouncer" },
    // PgBouncer's port; default pg-port + 100.
    "pooler-port": { type: "string" },
  },
});

const port = Number(args.port);
const ports = { host: "127.0.0.1", gateway: port, hello: port + 1, probe: port + 2 };
const dataDir = resolve(args["data-dir"]);
// BENCH_STATE_FILE lets a second stack (CI smoke) run beside a long-lived one.
const STATE_FILE = resolve(process.env.BENCH_STATE_FILE ?? ".tmp/bench/state.json");
const started: { pg?: BenchPostgres; pooler?: PgBouncer; proxy?: WsProxy; mf?: Miniflare } = {};
let stopping = false;

function stopPostgres(): void {
  const pooler = started.pooler;
  started.pooler = undefined;
  pooler?.stop();
  const pg = started.pg;
  started.pg = undefined;
  pg?.stop();
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    rmSync(STATE_FILE, { force: true });
    // PostgreSQL first and synchronously: Miniflare's own signal hook may end this process before our awaits finish.
    stopPostgres();
    await started.mf?.dispose().catch(() => undefined);
    await started.proxy?.close();
  }
  process.exit(code);
}

async function main(): Promise<void> {
  for (const [name, p] of Object.entries(ports)) if (name !== "host") await assertPortFree(p as number, `bench ${name}`);
  if (args.fresh) {
    rmSync(dataDir, { recursive: true, force: true });
    // Cached customer tokens name users of the wiped database.
    for (const f of existsSync(".tmp/bench") ? readdirSync(".tmp/bench") : []) if (f.startsWith("tokens-")) rmSync(`.tmp/bench/${f}`);
  }
  mkdirSync(dataDir, { recursive: true });
  warnIfLarge(dataDir);

  const t0 = Date.now();
  const buildDir = resolve(".tmp/bench/build");
  if (!args["skip-bundle"] || !existsSync(`${buildDir}/gateway/index.js`)) {
    console.log("bundling every Worker (wrangler deploy --dry-run)...");
    await bundleAll(buildDir);
    console.log(`bundled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  if (args.pooler !== "pgbouncer" && args.pooler !== "none") throw new Error("--pooler is pgbouncer or none");
  let databaseUrl = process.env.DATABASE_URL;
  /** What the Workers connect to: the pooled URL when PgBouncer runs, else the direct one. */
  let workersUrl = databaseUrl;
  if (!databaseUrl) {
    started.pg = startBenchPostgres(`${dataDir}/postgres`, Number(args["pg-port"]));
    databaseUrl = workersUrl = started.pg.url;
    if (args.pooler === "pgbouncer") {
      const poolerPort = Number(args["pooler-port"] ?? Number(args["pg-port"]) + 100);
      stopStalePgBouncer(`${dataDir}/pgbouncer`);
      await assertPortFree(poolerPort, "PgBouncer");
      started.pooler = startPgBouncer(databaseUrl, poolerPort, `${dataDir}/pgbouncer`);
      workersUrl = started.pooler.url;
    }
  }
  started.proxy = await startWsProxy(0);
  const proxy = `127.0.0.1:${started.proxy.port}/v1`;
  await migrateDatabase(databaseUrl, proxy);
  await withDb(databaseUrl, proxy, seedAll);

  const db = { databaseUrl: workersUrl ?? databaseUrl, neonWsProxy: isLoopback(databaseUrl) ? proxy : "" };
  const latency = args["provider-latency-ms"] === undefined ? undefined : Number(args["provider-latency-ms"]);
  const rateLimiter = args["rate-limiter"] as RateLimiterMode;
  if (rateLimiter !== "memory" && rateLimiter !== "miniflare") throw new Error("--rate-limiter is memory or miniflare");
  if (args.cache !== "miniflare" && args.cache !== "off") throw new Error("--cache is miniflare or off");
  const traceSampleRate = args["trace-sample-rate"] ?? productionTraceSampleRate();
  // The gateway reads anything but a number from 0 to 1 as 1; here it is a mistake worth saying.
  const rate = parseSampleRate(traceSampleRate);
  if (rate !== Number(traceSampleRate)) throw new Error("--trace-sample-rate is a number from 0 to 1");
  if (args["trace-gc"]) enableGcTrace(dataDir);
  if (args["perf-map"]) addWorkerdV8Flags("--perf-basic-prof", "--interpreted-frames-native-stack");
  started.mf = benchMiniflare(
    benchWorkers(buildDir, db, ports, { providerLatencyMs: latency, rateLimiter, cache: args.cache as CacheMode, traceSampleRate }),
    `${dataDir}/workerd`,
    { logFile: args["log-file"], gcFile: args["trace-gc"] },
    args["inspect-port"] ? Number(args["inspect-port"]) : undefined,
  );
  await started.mf.ready;
  const base = `http://${ports.host}:${ports.gateway}`;
  if (!(await waitForHttp(`${base}/health`, 60_000))) throw new Error("the gateway did not become healthy within 60 s");

  const plan: SeedPlan = { products: Number(args.products), customers: Number(args.customers), categories: 24, stockPerSku: Number(args["stock-per-sku"]) };
  const marker = `${dataDir}/seeded.json`;
  const seeded = existsSync(marker) ? (JSON.parse(readFileSync(marker, "utf8")) as SeedPlan & { id: string }) : undefined;
  // Identifies this data set, so load/ never reuses tokens cached for users of another one.
  const seedId = seeded?.id ?? randomUUID();
  if (!args["no-seed"] && !(seeded && seeded.products >= plan.products && seeded.customers >= plan.customers)) {
    const t1 = Date.now();
    await seedCustomers(databaseUrl, proxy, plan.customers);
    const created = await seedCatalog(base, plan);
    writeFileSync(marker, JSON.stringify({ ...plan, id: seedId }));
    console.log(`seeded ${created} products (${created * 3} SKUs) and ${plan.customers} customers in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }

  mkdirSync(dirname(STATE_FILE), { recursive: true });
  const state = {
    gateway: base,
    hello: `http://${ports.host}:${ports.hello}`,
    probe: `http://${ports.host}:${ports.probe}`,
    pids: { serveBench: process.pid, postgres: started.pg?.pid ?? null, pgbouncer: started.pooler?.pid ?? null },
    pgPort: started.pg ? Number(args["pg-port"]) : null,
    rateLimiter: args["rate-limiter"],
    traceSampleRate,
    inspector: args["inspect-port"] ? `http://127.0.0.1:${args["inspect-port"]}` : null,
    gcTrace: args["trace-gc"] ? resolve(args["trace-gc"]) : null,
    seed: seeded ?? plan,
    seedId,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  console.log(
    [
      "",
      "serve:bench is running (built bundles on workerd, no wrangler dev):",
      `  gateway      ${state.gateway}`,
      `  hello-world  ${state.hello}`,
      `  probe        ${state.probe}/reserve?sku=...`,
      `  span logs    calls between Workers for ${Math.round(rate * 1000) / 10}% of requests (TRACE_SAMPLE_RATE; production's unless --trace-sample-rate), and every error and slow call; the gateway logs every request`,
      `  rate limits  ${args["rate-limiter"] === "memory" ? "in-memory stand-in for the Rate Limiting binding (--rate-limiter miniflare: Miniflare's emulator)" : "Miniflare's Rate Limiting emulator"}`,
      `  database     ${started.pg ? `PostgreSQL 15 on 127.0.0.1:${args["pg-port"]} (${dataDir}/postgres)` : "DATABASE_URL"}`,
      `  pooler       ${started.pooler ? `PgBouncer (transaction mode) on 127.0.0.1:${started.pooler.port}; Workers connect through it` : "none: a direct Postgres connection per Worker call"}`,
      `  state        ${STATE_FILE}`,
      "Run e.g. `npm run load -- smoke`. Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  if (args["exit-after-seed"]) await stop(0);
}

process.on("exit", stopPostgres);
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
main().catch(async (err: unknown) => {
  console.error(`serve:bench failed: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
});
