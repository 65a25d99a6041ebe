/**
 * The Workers `npm run serve:bench` runs on one workerd: every edgeshop Worker
 * from the bundle `wrangler deploy` would upload, wired by each one's own
 * wrangler config, plus three bench-only Workers:
 * - `bench-hello`: a bare hello-world, the ceiling of this workerd on this
 *   machine, measured in the same run so figures from noisy machines compare;
 * - `bench-probe`: calls CatalogService.reserve over the same service binding
 *   the orders Worker uses, so reservations/s on one hot StockDO can be
 *   measured (the public API has no bare "reserve" route), and the StockDO
 *   itself through a stub (`/reserve-object`), without the catalog's hop; its
 *   other routes price one operation each (an RPC, a Postgres session or
 *   query, an emulated Cache API lookup or queue message) for `db-session`;
 * - `bench-bare`: a bare RPC target and queue consumer for those prices.
 * With `--rate-limiter memory` (the default) the gateway's Rate Limiting
 * bindings are in-memory fixed-window counters inside the gateway's own
 * isolate (a wrapped binding, scripts/bench-ratelimit-plugin.mjs), with the
 * limits of the gateway's config. In production the binding's counters are
 * cached on the machine running the Worker; Miniflare's local emulation
 * instead persists every call through a SQLite Durable Object, which measured
 * ~1.1 ms of workerd CPU per request here, and a stand-in behind a service
 * binding costs an RPC (~0.3 ms) production does not pay. The bench would then
 * measure the emulator, so it uses the in-isolate counters unless asked
 * (`--rate-limiter miniflare`).
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions, type LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { isGcTraceLine } from "./bench-gc.ts";
import { ALL_WORKERS, GATEWAY, type WorkerInfo } from "./workers.ts";

export interface BenchDatabase {
  databaseUrl: string;
  /** `host:port/v1` of the local Neon WebSocket proxy, "" for a remote (Neon) database. */
  neonWsProxy: string;
}

const HELLO_SCRIPT = `export default { fetch() { return new Response("hello world"); } };`;

// A bare RPC target: what one service-binding call costs before edgeshop's own wrapping (trace, log line, Sentry).
const BARE_SCRIPT = `
import { WorkerEntrypoint } from "cloudflare:workers";
export class Bare extends WorkerEntrypoint {
  health() { return { status: "ok" }; }
  healthLogged() {
    console.log(JSON.stringify({ level: "info", worker: "bare", method: "healthLogged", status: "ok", durationMs: 0 }));
    return { status: "ok" };
  }
}
export default {
  fetch() { return new Response("bare"); },
  queue(batch) { batch.ackAll(); },
};`;

// Reserves one unit of ?sku= under a fresh id: one RPC to CatalogService, one StockDO call, as checkout does.
const PROBE_SCRIPT = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    // One RPC, and one RPC that opens a Postgres session (pool, WebSocket, startup, select 1, end):
    // the cost of a database round trip from a Worker call, apart from everything else.
    if (url.pathname === "/rpc") return Response.json(await env.CATALOG.health());
    // The same call to a bare entrypoint, without and with one log line: what edgeshop's wrapping adds per hop.
    if (url.pathname === "/rpc-bare") return Response.json(await env.BARE.health());
    if (url.pathname === "/rpc-bare-log") return Response.json(await env.BARE.healthLogged());
    // Miniflare's emulated Cache API and Queues run on this same workerd: a lookup that hits, and one
    // message sent and delivered (to the bare Worker, which acknowledges it), priced against /plain.
    if (url.pathname === "/plain") return Response.json({ status: "ok" });
    if (url.pathname === "/cache-match") {
      const key = "https://probe.edgeshop.internal/doc";
      const hit = await caches.default.match(key);
      if (hit) return Response.json(JSON.parse(await hit.text()));
      await caches.default.put(key, Response.json({ status: "ok" }, { headers: { "cache-control": "max-age=3600" } }));
      return Response.json({ status: "ok" });
    }
    if (url.pathname === "/queue-send") {
      await env.PROBE_QUEUE.send({ status: "ok" });
      return Response.json({ status: "ok" });
    }
    if (url.pathname === "/db") return Response.json(await env.CATALOG.databaseHealth("session"));
    // The same select over Neon's HTTP query path: one fetch, no session.
    if (url.pathname === "/db-http") return Response.json(await env.CATALOG.databaseHealth("http"));
    const sku = url.searchParams.get("sku");
    if (!sku) return new Response("not found", { status: 404 });
    const ttl = Number(url.searchParams.get("ttl") ?? 600);
    const id = "rsv_bench_" + crypto.randomUUID();
    // The StockDO alone: the same call CatalogService.reserve makes, straight to the object.
    if (url.pathname === "/reserve-object") {
      const r = await env.STOCK.get(env.STOCK.idFromName(sku)).reserve(id, 1, ttl);
      return Response.json({ ok: r.ok }, { status: r.ok ? 200 : 409 });
    }
    if (url.pathname !== "/reserve") return new Response("not found", { status: 404 });
    const result = await env.CATALOG.reserve(id, [{ sku, quantity: 1 }], ttl);
    return Response.json(result, { status: result.ok ? 200 : 409 });
  },
};`;

/** Runs `wrangler deploy --dry-run --outdir` for one Worker: the exact bundle a deploy uploads. */
function bundle(worker: WorkerInfo, outDir: string): Promise<void> {
  return new Promise((done, reject) => {
    const child = spawn("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(outDir, worker.name), "-c", worker.config], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => (code === 0 ? done() : reject(new Error(`bundling ${worker.name} failed:\n${output}`))));
  });
}

/** Bundles every Worker (gateway included) into `outDir` (absolute), two at a time. */
export async function bundleAll(outDir: string): Promise<void> {
  const dir = resolve(outDir);
  const queue = [...ALL_WORKERS];
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      for (let w = queue.shift(); w; w = queue.shift()) await bundle(w, dir);
    }),
  );
}

/** KEY=value lines of a Worker's committed .dev.vars.example (its local secrets). */
function exampleVars(worker: WorkerInfo): Record<string, string> {
  const path = join(worker.dir, ".dev.vars.example");
  if (!existsSync(path)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1]) vars[m[1]] = m[2] ?? "";
  }
  return vars;
}

/** Miniflare options of one Worker running from its bundle in `outDir/<name>`, with its example secrets and `db`. */
export function workerOptions(worker: WorkerInfo, outDir: string, db: BenchDatabase): LegacyWorkerOptions {
  // modulesRules describe unbundled sources; these Workers run from their bundle.
  const { modulesRules: _rules, ...options } = unstable_getMiniflareWorkerOptions(worker.config).workerOptions;
  const bindings: Record<string, string> = { ...(options.bindings as Record<string, string> | undefined), ...exampleVars(worker) };
  if ("DATABASE_URL" in bindings) {
    bindings.DATABASE_URL = db.databaseUrl;
    bindings.NEON_WS_PROXY = db.neonWsProxy;
  }
  const dir = join(resolve(outDir), worker.name);
  return { ...options, name: worker.script, modules: true, modulesRoot: dir, scriptPath: join(dir, "index.js"), bindings };
}

type RateLimitConfig = Record<string, { simple: { limit: number; period: number } }>;

/** The Miniflare plugin that turns an `unsafeBindings` entry into an in-isolate limiter (see the file). */
const RATE_LIMIT_PLUGIN = { package: resolve(import.meta.dirname, "bench-ratelimit-plugin.mjs"), name: "edgeshop-bench-ratelimit" };

export type RateLimiterMode = "memory" | "miniflare";

export interface BenchPorts {
  host: string;
  gateway: number;
  hello: number;
  probe: number;
}

/**
 * Miniflare `workers` for the whole stack. Each public Worker gets its own
 * direct socket, so requests reach it without Miniflare's entry Worker or
 * wrangler's dev proxy in the path.
 */
/**
 * `miniflare`: Miniflare's Cache API emulation (the default); `off`: the Cache API disabled, so the
 * catalog serves from its per-isolate memory tier and Postgres only (to tell the emulator's cost apart).
 */
export type CacheMode = "miniflare" | "off";

export interface BenchWorkerOptions {
  /** The test payment provider's simulated latency; unset: the payments config's. */
  providerLatencyMs?: number;
  rateLimiter?: RateLimiterMode;
  cache?: CacheMode;
  /** The gateway's `TRACE_SAMPLE_RATE`; unset: production's (`productionTraceSampleRate`). */
  traceSampleRate?: string;
}

/** `TRACE_SAMPLE_RATE` of the gateway's `[env.production]`: the bench logs as production does. */
export function productionTraceSampleRate(): string {
  const vars = (unstable_readConfig({ config: GATEWAY.config, env: "production" }, { hideWarnings: true }) as unknown as { vars: Record<string, unknown> }).vars;
  return String(vars.TRACE_SAMPLE_RATE ?? "1");
}

export function benchWorkers(outDir: string, db: BenchDatabase, ports: BenchPorts, options: BenchWorkerOptions = {}): LegacyWorkerOptions[] {
  const { providerLatencyMs, rateLimiter = "memory", cache = "miniflare" } = options;
  const socket = (port: number) => [{ host: ports.host, port }];
  const gateway: LegacyWorkerOptions = { ...workerOptions(GATEWAY, outDir, db), unsafeDirectSockets: socket(ports.gateway) };
  gateway.bindings = { ...(gateway.bindings as Record<string, string>), TRACE_SAMPLE_RATE: options.traceSampleRate ?? productionTraceSampleRate() };
  const limits = gateway.ratelimits as RateLimitConfig | undefined;
  if (rateLimiter === "memory" && limits) {
    delete gateway.ratelimits;
    gateway.unsafeBindings = Object.entries(limits).map(([name, { simple }]) => ({
      name,
      type: "edgeshop-bench-ratelimit",
      plugin: RATE_LIMIT_PLUGIN,
      options: { limit: simple.limit, period: simple.period },
    }));
  }
  const domains = ALL_WORKERS.filter((w) => w !== GATEWAY).map((w) => {
    const options = workerOptions(w, outDir, db);
    if (cache === "off") options.cacheAPI = false;
    if (w.name === "payments" && providerLatencyMs !== undefined) {
      options.bindings = { ...(options.bindings as Record<string, string>), TEST_PROVIDER_LATENCY_MS: String(providerLatencyMs) };
    }
    return options;
  });
  const compat = { compatibilityDate: "2026-10-20", compatibilityFlags: ["nodejs_compat"] };
  const hello: LegacyWorkerOptions = { name: "bench-hello", modules: true, script: HELLO_SCRIPT, ...compat, unsafeDirectSockets: socket(ports.hello) };
  const probe: LegacyWorkerOptions = {
    name: "bench-probe",
    modules: true,
    script: PROBE_SCRIPT,
    ...compat,
    serviceBindings: { CATALOG: { name: "edgeshop-catalog", entrypoint: "CatalogService" }, BARE: { name: "bench-bare", entrypoint: "Bare" } },
    durableObjects: { STOCK: { className: "StockDO", scriptName: "edgeshop-catalog" } },
    queueProducers: { PROBE_QUEUE: { queueName: "bench-probe" } },
    unsafeDirectSockets: socket(ports.probe),
  };
  const bare: LegacyWorkerOptions = {
    name: "bench-bare",
    modules: true,
    script: BARE_SCRIPT,
    ...compat,
    queueConsumers: { "bench-probe": { maxBatchSize: 20, maxBatchTimeout: 1 } },
  };
  return [gateway, ...domains, hello, probe, bare];
}

/**
 * Keeps Worker warnings and errors on the console, drops per-request info
 * lines (they would flood it under load) and repeats of one message except
 * at 10, 100, 1000... occurrences; with `logFile`, every line also goes there.
 * V8's GC trace lines (`--trace-gc`, see bench-gc.ts) go to `gcFile` only, each
 * prefixed with the wall-clock milliseconds it was read at.
 */
export function workerLogFilter(logFile?: string, gcFile?: string): (log: { level: string; message: string }) => void {
  const seen = new Map<string, number>();
  const file = logFile ? createWriteStream(logFile, { flags: "a" }) : undefined;
  const gc = gcFile ? createWriteStream(gcFile, { flags: "a" }) : undefined;
  return (log) => {
    if (gc && isGcTraceLine(log.message)) {
      gc.write(`${Date.now()} ${log.message.trimEnd()}\n`);
      return;
    }
    file?.write(`${log.message.trimEnd()}\n`);
    if (log.level !== "error" && log.level !== "warn") return;
    const n = (seen.get(log.message) ?? 0) + 1;
    seen.set(log.message, n);
    if (n === 1 || Number.isInteger(Math.log10(n))) console.error(`[worker ${log.level}${n > 1 ? ` x${n}` : ""}] ${log.message}`);
  };
}

/**
 * One workerd, through Miniflare, running `workers` from their bundles: loopback only, no Cloudflare
 * `cf` fetch, Worker log lines through `workerLogFilter(logFile)`, storage persisted in `persistDir`.
 */
export function benchMiniflare(workers: LegacyWorkerOptions[], persistDir: string, logs: { logFile?: string; gcFile?: string }, inspectorPort?: number): Miniflare {
  // Miniflare 5 takes its own option shape; wrangler's per-Worker options are the v4 ("legacy") shape.
  return new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new Log(LogLevel.WARN),
      cf: false,
      handleStructuredLogs: workerLogFilter(logs.logFile, logs.gcFile),
      resourcePersistencePath: persistDir,
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
      workers,
    }),
  );
}
