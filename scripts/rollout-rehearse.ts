/**
 * `npm run rollout:rehearse [-- --stages 10,50,100] [--hold 30] [--rate 8] [--short] [--ref <git-ref>]`
 *
 * A gradual deployment and a rollback, rehearsed locally under load:
 *   1. the previous release (last `release-*` tag, as `npm run compat` finds it)
 *      and the working tree, every Worker bundled as `wrangler deploy` would;
 *   2. both builds side by side on one workerd (scripts/release/rehearsal/stack.ts):
 *      a splitter sends each request to the old or the new gateway by percentage,
 *      with version affinity (Cloudflare-Workers-Version-Key) and overrides, and
 *      each Durable Object runs the version the deployment assigns it, over
 *      storage both versions share; PostgreSQL 15 (behind PgBouncer when installed);
 *   3. the load kit's `mixed` profile runs throughout while the deployment moves
 *      0% -> each stage -> 0% (the rollback), holding each for --hold seconds;
 *   4. it passes only with zero failed requests (no unexpected status, no 5xx,
 *      every journey finished), version affinity kept, and no lost, duplicated
 *      or double-charged order (every acknowledged checkout paid in Postgres).
 * It ends everything it started (workerd through Miniflare, the proxy, PgBouncer
 * and PostgreSQL by PID). --short is CI's form: small data, short holds.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Miniflare } from "miniflare";
import { startBenchPostgres, type BenchPostgres } from "./bench-postgres.ts";
import { seedCatalog, seedCustomers } from "./bench-seed.ts";
import { benchMiniflare } from "./bench-workers.ts";
import { migrateDatabase, withDb } from "./db.ts";
import { startWsProxy, type WsProxy } from "./neon-ws-proxy.ts";
import { pgbouncerInstalled, startPgBouncer, stopStalePgBouncer, type PgBouncer } from "./pgbouncer.ts";
import { assertPortFree, waitForHttp } from "./ports.ts";
import { parseArgs, stringFlag } from "./release/args.ts";
import { bundleBuild } from "./release/compat-build.ts";
import { say } from "./release/exec.ts";
import { headInfo, RELEASE_TAG_PATTERN } from "./release/git.ts";
import { previousRelease } from "./release/git.ts";
import { checkoutPrevious, commitOf, removeWorktree } from "./release/previous-build.ts";
import { rehearsalWorkers, type RehearsalBuild, type Side } from "./release/rehearsal/stack.ts";
import { AffinityProbe, orderChecks, overrideChecks, type Check } from "./release/rehearsal/verify.ts";
import { seedAll } from "./seed.ts";
import { ALL_WORKERS } from "./workers.ts";

const DIR = resolve(".tmp/rehearsal");
const started: { pg?: BenchPostgres; pooler?: PgBouncer; proxy?: WsProxy; mf?: Miniflare; load?: ChildProcess } = {};

interface StageReport {
  label: string;
  percentNew: number;
  heldS: number;
  served: Record<Side, number>;
  objects: Record<string, { objects: Record<Side, number>; restarts: number }>;
}

interface LoadSummary {
  totals: { requests: number; errors: number; fiveXx: number; journeysStarted: number; journeysCompleted: number; journeysFailed: number; unfinished: number; dropped: number; latency: { p95: number; p99: number } };
  errorsByCode: Record<string, number>;
  checks: Check[];
  paidOrderIds: string[];
}

const num = (args: ReturnType<typeof parseArgs>, name: string, fallback: number): number => {
  const v = stringFlag(args, name);
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`);
  return n;
};

async function stopAll(): Promise<void> {
  if (started.load?.exitCode === null) started.load.kill("SIGINT");
  // PostgreSQL first and synchronously: Miniflare's signal hook may end the process before the awaits finish.
  started.pooler?.stop();
  started.pg?.stop();
  started.pooler = started.pg = undefined;
  await started.mf?.dispose().catch(() => undefined);
  await started.proxy?.close();
  started.mf = started.proxy = undefined;
}

async function control(base: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Starts the load kit's mixed profile; resolves `running` once its clock starts, `done` with its exit code. */
function startLoad(target: string, rate: number, durationS: number, customers: number, out: string, stateFile: string) {
  const child = spawn(
    "node",
    ["load/cli.ts", "mixed", "--profile", "load", "--rate", String(rate), "--duration", String(durationS), "--customers", String(customers), "--target", target, "--out", out],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, BENCH_STATE_FILE: stateFile } },
  );
  let signalRunning: () => void = () => undefined;
  const running = new Promise<void>((r) => (signalRunning = r));
  child.stdout.on("data", (d: Buffer) => {
    process.stdout.write(d);
    if (d.toString().includes("running mixed")) signalRunning();
  });
  const done = new Promise<number>((r) => child.on("exit", (code) => r(code ?? 1)));
  started.load = child;
  return { running, done };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), ["short", "keep-tree"]);
  const short = args.flags.short === true;
  const ref = previousRelease(stringFlag(args, "ref"));
  if (!ref) {
    say(`no ${RELEASE_TAG_PATTERN} tag yet: no previous build to roll out from; skipping (ok).`);
    return 0;
  }
  const stages = (stringFlag(args, "stages") ?? "10,50,100").split(",").map(Number);
  if (stages.some((p) => !Number.isInteger(p) || p < 1 || p > 100)) throw new Error("--stages: percentages 1..100, e.g. 10,50,100");
  const holdS = num(args, "hold", short ? 8 : 30);
  const rate = num(args, "rate", short ? 6 : 8);
  const products = num(args, "products", short ? 40 : 200);
  const customers = num(args, "customers", short ? 40 : 200);
  const port = num(args, "port", 8796);
  const controlPort = num(args, "control-port", port + 1);
  const pgPort = num(args, "pg-port", 55443);
  const poolerPort = pgPort + 100;

  const tree = join(DIR, "tree");
  checkoutPrevious(ref, tree);
  try {
    // A PgBouncer left by a killed run is ended by its pidfile; anything else on our ports stops us before its data is touched.
    stopStalePgBouncer(join(DIR, "data/pgbouncer"));
    for (const p of [port, controlPort, pgPort, poolerPort]) await assertPortFree(p, "rollout rehearsal");
    rmSync(join(DIR, "data"), { recursive: true, force: true });
    const head = headInfo();
    const builds: Record<Side, RehearsalBuild> = {
      old: { root: tree, bundles: join(DIR, "bundles-old"), versionId: `${ref === commitOf(ref) ? ref.slice(0, 12) : ref} (${commitOf(ref).slice(0, 12)})` },
      new: { root: resolve("."), bundles: join(DIR, "bundles-new"), versionId: `${head.shortSha}${head.dirty ? "+dirty" : ""}` },
    };
    say(`bundling every Worker of ${builds.old.versionId} and of ${builds.new.versionId} (wrangler deploy --dry-run)`);
    await Promise.all([bundleBuild(builds.old, ALL_WORKERS), bundleBuild(builds.new, ALL_WORKERS)]);

    started.pg = startBenchPostgres(join(DIR, "data/postgres"), pgPort);
    let workersUrl = started.pg.url;
    if (pgbouncerInstalled()) {
      started.pooler = startPgBouncer(started.pg.url, poolerPort, join(DIR, "data/pgbouncer"));
      workersUrl = started.pooler.url;
    }
    started.proxy = await startWsProxy(0);
    const proxy = `127.0.0.1:${started.proxy.port}/v1`;
    // The new build's migrations: the old build must run on the expanded schema (docs/deployments.md).
    await migrateDatabase(started.pg.url, proxy);
    await withDb(started.pg.url, proxy, seedAll);

    const logFile = join(DIR, "workers.log");
    rmSync(logFile, { force: true });
    const workers = rehearsalWorkers(builds, { databaseUrl: workersUrl, neonWsProxy: proxy }, { host: "127.0.0.1", public: port, control: controlPort });
    started.mf = benchMiniflare(workers, join(DIR, "data/workerd"), { logFile });
    await started.mf.ready;
    const base = `http://127.0.0.1:${port}`;
    const ctl = `http://127.0.0.1:${controlPort}`;
    if (!(await waitForHttp(`${base}/health`, 60_000))) throw new Error("the old gateway did not become healthy within 60 s");
    await control(ctl, "/deployment", { percentNew: 100 });
    if (!(await waitForHttp(`${base}/health`, 30_000))) throw new Error("the new gateway did not become healthy within 30 s");
    await control(ctl, "/deployment", { percentNew: 0 });

    say(`seeding ${products} products and ${customers} customers through the old version (100%)`);
    await seedCustomers(started.pg.url, proxy, customers);
    await seedCatalog(base, { products, customers, categories: 12, stockPerSku: 100_000 });
    const stateFile = join(DIR, "state.json");
    const seedId = `rehearsal-${Date.now()}`;
    writeFileSync(stateFile, JSON.stringify({ gateway: base, hello: "", probe: "", pids: { serveBench: process.pid, postgres: started.pg.pid, pgbouncer: started.pooler?.pid ?? null }, pgPort, seed: { products, customers }, seedId }));

    // 0% (the old version alone), each stage, then the rollback to 0%.
    const plan = [{ label: "old 100%", percentNew: 0 }, ...stages.map((p) => ({ label: `new ${p}%`, percentNew: p })), { label: "rollback: old 100%", percentNew: 0 }];
    const rampS = 10; // the load profile ramps for 10 s before its steady stage
    const reportsDir = join(DIR, "reports");
    rmSync(reportsDir, { recursive: true, force: true });
    const load = startLoad(base, rate, holdS * plan.length, customers, reportsDir, stateFile);
    const probe = new AffinityProbe(base);
    const reports: StageReport[] = [];
    const checks: Check[] = [];
    await Promise.race([load.running, load.done]);
    probe.start();
    await new Promise((r) => setTimeout(r, rampS * 1000));
    for (const stage of plan) {
      probe.stage = undefined;
      await control(ctl, "/deployment", { percentNew: stage.percentNew });
      say(`deployment: ${stage.label} (old ${100 - stage.percentNew}% / new ${stage.percentNew}%), holding ${holdS} s`);
      probe.stage = stage.label;
      checks.push(...(await overrideChecks(base, stage.percentNew, { old: builds.old.versionId, new: builds.new.versionId }, stage.label)));
      await new Promise((r) => setTimeout(r, holdS * 1000));
      const stats = (await control(ctl, "/stats")) as Omit<StageReport, "label" | "heldS">;
      reports.push({ label: stage.label, percentNew: stage.percentNew, heldS: holdS, served: stats.served, objects: stats.objects });
      const share = stats.served.new / Math.max(1, stats.served.old + stats.served.new);
      say(`  served old ${stats.served.old} / new ${stats.served.new} (${(share * 100).toFixed(1)}% new); objects ${Object.entries(stats.objects).map(([h, o]) => `${h.replace("OBJECTS_", "").toLowerCase()} old ${o.objects.old}/new ${o.objects.new}`).join(", ")}`);
    }
    probe.stage = undefined;
    const loadCode = await load.done;
    probe.stop();

    const jsonFile = existsSync(reportsDir) ? readdirSync(reportsDir).find((f) => f.endsWith(".json")) : undefined;
    if (!jsonFile) {
      say(`rollout rehearsal FAILED: the load run (exit ${loadCode}) wrote no report`);
      return 1;
    }
    const summary = JSON.parse(readFileSync(join(reportsDir, jsonFile), "utf8")) as LoadSummary;
    const t = summary.totals;
    checks.push({ name: "zero failed requests (unexpected status or 5xx)", ok: t.errors === 0 && t.fiveXx === 0, detail: `${t.requests} requests, ${t.errors} unexpected, ${t.fiveXx} 5xx ${JSON.stringify(summary.errorsByCode)}` });
    checks.push({ name: "every journey finished", ok: t.journeysFailed === 0 && t.unfinished === 0 && t.dropped === 0, detail: `${t.journeysCompleted}/${t.journeysStarted} completed, ${t.journeysFailed} failed, ${t.unfinished} unfinished, ${t.dropped} dropped` });
    checks.push(...summary.checks.map((c) => ({ ...c, name: `load kit: ${c.name}` })));
    checks.push(...probe.checks(plan, { old: builds.old.versionId, new: builds.new.versionId }));
    const restarts = Object.values(reports.at(-1)?.objects ?? {}).reduce((n, o) => n + o.restarts, 0);
    checks.push({ name: "Durable Objects changed version with the deployment", ok: restarts > 0, detail: `${restarts} objects restarted in another version over their stored state` });
    checks.push(...(await orderChecks(started.pg.url, proxy, summary.paidOrderIds)));

    const passed = checks.every((c) => c.ok);
    const report = { ref, versions: { old: builds.old.versionId, new: builds.new.versionId }, holdS, rate, stages: reports, load: { requests: t.requests, p95: t.latency.p95, p99: t.latency.p99, journeys: t.journeysCompleted, paidOrders: summary.paidOrderIds.length, report: join(reportsDir, jsonFile) }, checks, passed };
    mkdirSync("load/reports", { recursive: true });
    const out = `load/reports/${new Date().toISOString().replace(/[:.]/g, "-")}-rollout-rehearsal.json`;
    writeFileSync(out, JSON.stringify(report, null, 2));
    console.log(`\nrollout rehearsal ${builds.old.versionId} -> ${builds.new.versionId}: ${plan.map((p) => p.label).join(" -> ")}, ${holdS} s each, mixed load at ${rate} journeys/s`);
    console.log(`  load: ${t.requests} requests, ${t.journeysCompleted} journeys, ${summary.paidOrderIds.length} paid orders, p95 ${t.latency.p95} ms, p99 ${t.latency.p99} ms`);
    console.log("  (latency is reported, not judged: the load kit's latency SLOs above are for information, and admin writes wait CATALOG_COMMIT_WAIT_MS)");
    for (const c of checks) console.log(`  ${c.ok ? "pass" : "FAIL"}  ${c.name}: ${c.detail}`);
    console.log(`report: ${out}`);
    console.log(passed ? "rollout rehearsal passed" : "rollout rehearsal FAILED");
    return passed ? 0 : 1;
  } finally {
    await stopAll();
    if (args.flags["keep-tree"] === true) say(`kept ${tree}`);
    else removeWorktree(tree);
  }
}

process.on("SIGINT", () => {
  void stopAll().then(() => process.exit(130));
});
main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    say(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    await stopAll();
    process.exit(1);
  },
);
