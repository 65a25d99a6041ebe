/**
 * Pre-bundles the domain Workers exactly as `wrangler deploy` would
 * (`--dry-run --outdir`), because the vitest plugin runs auxiliary Workers
 * from built scripts only.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { DOMAIN_WORKERS, type WorkerInfo } from "../../scripts/workers.ts";

/** Absolute, because wrangler resolves --outdir against the config's folder. */
export const BUILD_DIR = resolve(".tmp/build");

function build(worker: WorkerInfo): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["wrangler", "deploy", "--dry-run", "--outdir", `${BUILD_DIR}/${worker.name}`, "-c", worker.config], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bundling ${worker.name} failed:\n${output}`))));
  });
}

/** Bundles every domain Worker, two at a time (CI has 2 cores). */
export async function buildDomainWorkers(): Promise<void> {
  const queue = [...DOMAIN_WORKERS];
  const runners = Array.from({ length: 2 }, async () => {
    for (let w = queue.shift(); w; w = queue.shift()) await build(w);
  });
  await Promise.all(runners);
}
