/**
 * Bundles the Workers of one source tree exactly as `wrangler deploy` would
 * (`--dry-run --outdir`), two at a time: the compat run and the rollout
 * rehearsal need the old release's bundles and the new tree's side by side.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { DOMAIN_WORKERS, type WorkerInfo } from "../workers.ts";
import { hasWorker, inBuild, type Build } from "./compat-workers.ts";

function bundle(w: WorkerInfo, build: Build): Promise<void> {
  const info = inBuild(w, build.root);
  return new Promise((resolve, reject) => {
    // --env= is the top level (dev): says so explicitly, since configs also define staging/production
    const child = spawn("npx", ["wrangler", "deploy", "--dry-run", "--env=", "--outdir", join(build.bundles, w.name), "-c", info.config], {
      cwd: build.root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bundling ${w.name} in ${build.root} failed:\n${output}`))));
  });
}

/** Bundles each of `workers` (default: the domain Workers) the build has; returns the names it bundled. */
export async function bundleBuild(build: Build, workers: WorkerInfo[] = DOMAIN_WORKERS): Promise<string[]> {
  const queue = workers.filter((w) => hasWorker(w, build));
  const done = queue.map((w) => w.name);
  const runners = Array.from({ length: 2 }, async () => {
    for (let w = queue.shift(); w; w = queue.shift()) await bundle(w, build);
  });
  await Promise.all(runners);
  return done;
}
