/**
 * Miniflare options for the Workers a test project runs beside its main
 * Worker: each domain Worker's own wrangler config (bindings, Durable
 * Objects, service bindings), its pre-built bundle, and the local secrets
 * from its committed `.dev.vars.example`, pointed at the test database.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ALL_WORKERS, DOMAIN_WORKERS, type WorkerInfo } from "../../scripts/workers.ts";
import { BUILD_DIR } from "./build.ts";

/** What global setup started, as the Workers in a test project need it. */
export interface TestDatabaseRef {
  databaseUrl: string;
  neonWsProxy: string;
  /** Local Sentry receiver; unset leaves reporting off. */
  sentryDsn?: string;
}

/** Parses a dotenv-style file (KEY=value lines, # comments). */
function readVars(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m?.[1]) vars[m[1]] = m[2] ?? "";
  }
  return vars;
}

/** Secrets and database bindings a Worker gets in tests. */
export function testBindings(worker: WorkerInfo, db: TestDatabaseRef): Record<string, string> {
  const vars: Record<string, string> = { ...readVars(join(worker.dir, ".dev.vars.example")), FAULT_INJECTION: "on" };
  if (db.sentryDsn) vars.SENTRY_DSN = db.sentryDsn;
  if ("DATABASE_URL" in vars) {
    vars.DATABASE_URL = db.databaseUrl;
    vars.NEON_WS_PROXY = db.neonWsProxy;
  }
  return vars;
}

export function workerInfo(name: string): WorkerInfo {
  const w = ALL_WORKERS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown worker ${name}`);
  return w;
}

/**
 * Auxiliary Worker options for every domain Worker except `exclude` (the project's main Worker);
 * `overrides` replaces some Workers' vars or secrets (the e2e-stripe project's payments provider).
 */
export function auxiliaryWorkers(db: TestDatabaseRef, exclude?: string, overrides: Record<string, Record<string, string>> = {}): LegacyWorkerOptions[] {
  return DOMAIN_WORKERS.filter((w) => w.name !== exclude).map((w) => {
    // modulesRules describe unbundled sources; these Workers run from their bundle.
    const { modulesRules: _rules, ...options } = unstable_getMiniflareWorkerOptions(w.config).workerOptions;
    const bindings = { ...(options.bindings as Record<string, string> | undefined), ...testBindings(w, db), ...overrides[w.name] };
    return { ...options, name: w.script, modules: true, modulesRoot: `${BUILD_DIR}/${w.name}`, scriptPath: `${BUILD_DIR}/${w.name}/index.js`, bindings };
  });
}
