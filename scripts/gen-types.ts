/**
 * Generates each Worker's Env types with `wrangler types`, cross-worker (every
 * config is passed, so service bindings are typed `Service<typeof XService>`).
 * Secrets are typed from the committed `.dev.vars.example`, never from a
 * developer's own `.dev.vars`, so the output is the same on every machine.
 * `--check` fails when a committed file is stale (CI runs it).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ALL_WORKERS } from "./workers.ts";

const check = process.argv.includes("--check");
let stale = 0;

for (const worker of ALL_WORKERS) {
  const out = worker.name === "gateway" ? "workers/gateway/worker-configuration.d.ts" : join(worker.dir, "worker-configuration.d.ts");
  const others = ALL_WORKERS.filter((w) => w !== worker).flatMap((w) => ["-c", w.config]);
  const envFile = ".dev.vars.example"; // resolved by wrangler against the config's folder
  const args = [
    "wrangler", "types", out, "-c", worker.config, ...others,
    "--env-interface", worker.envInterface, "--include-runtime=false", "--strict-vars=false",
    ...(existsSync(join(worker.dir, envFile)) ? ["--env-file", envFile] : []),
    ...(check ? ["--check"] : []),
  ];
  const run = spawnSync("npx", args, { stdio: check ? "pipe" : "inherit", env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" } });
  if (run.status !== 0) {
    stale++;
    console.error(`${out}: ${check ? "stale, run `npm run types`" : "generation failed"}`);
    if (check) process.stderr.write(run.stdout?.toString() ?? "");
  }
}

if (stale > 0) process.exit(1);
console.log(check ? "env types are up to date" : "env types generated");
