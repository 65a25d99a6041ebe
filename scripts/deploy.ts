/**
 * `npm run deploy -- --env staging [--workers a,b] [--dry-run]`
 *
 * Full deploy (100% at once, DO migrations applied) of every Worker in
 * dependency order, gateway last. For production prefer `npm run rollout`;
 * this is for staging, a new environment, and what deploy:migration runs.
 * Cloudflare refuses a service binding to a Worker that does not exist, and
 * shipping and orders bind to each other: on a brand-new environment both
 * would be refused. Setting the secrets first creates every Worker
 * (docs/deployments.md), so this says so when a pass makes no progress;
 * failed Workers get one more pass after the others are up.
 */
import { listFlag, parseArgs, stringFlag } from "./release/args.ts";
import { versionMessage, versionTag } from "./release/changed.ts";
import { parseEnvironment, selectWorkers, type DeployEnvironment } from "./release/environments.ts";
import { requireToken, run, runJson, say } from "./release/exec.ts";
import { headInfo } from "./release/git.ts";
import { databaseSchemaReady } from "./release/schema-check.ts";
import { parseDeployment, stableVersion } from "./release/versions.ts";
import { deployCmd, deploymentStatusCmd, formatArgv } from "./release/wrangler.ts";
import type { WorkerInfo } from "./workers.ts";

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), ["dry-run"]);
  const env = parseEnvironment(stringFlag(args, "env"));
  const workers = selectWorkers(listFlag(args, "workers"));
  const head = headInfo();
  const tag = versionTag(head.shortSha, head.dirty);
  const message = versionMessage(head.subject, head.release);
  say(`deploy to ${env}: ${workers.map((w) => w.name).join(" -> ")} (tag ${tag})`);
  if (env === "production") say("note: this switches production at once; npm run rollout moves traffic gradually with gates");

  if (args.flags["dry-run"] === true) {
    for (const w of workers) process.stdout.write(`${formatArgv(deployCmd(w, env, tag, message))}\n`);
    return 0;
  }
  requireToken();
  if (!(await databaseSchemaReady(process.env.DATABASE_URL, say))) return 1;
  for (const w of workers) {
    const split = await splitInProgress(w, env);
    if (split) {
      say(`REFUSED: ${w.name}: ${split} (a deploy would replace the split at once)`);
      return 1;
    }
  }
  let failed: WorkerInfo[] = [];
  for (const pass of [1, 2]) {
    const todo = pass === 1 ? workers : failed;
    if (todo.length === 0) break;
    if (pass === 2) say(`second pass for ${todo.map((w) => w.name).join(", ")} (their service bindings may point at Workers deployed after them)`);
    failed = [];
    for (const w of todo) {
      say(`[${w.name}] deploying`);
      const r = await run(deployCmd(w, env, tag, message), { stream: true });
      if (r.code !== 0) failed.push(w);
      say(`[${w.name}] ${r.code === 0 ? "deployed" : `failed (exit ${r.code})`}`);
    }
    if (failed.length === todo.length) break; // nothing progressed: another pass would fail the same way
  }
  if (failed.some((w) => w.name === "shipping") && failed.some((w) => w.name === "orders")) {
    say("shipping and orders bind to each other: on a new environment, set each Worker's secrets first (wrangler secret put creates a Worker that does not exist yet), then deploy again; see docs/deployments.md");
  }
  if (failed.length > 0) say(`FAILED: ${failed.map((w) => w.name).join(", ")}`);
  else say(`all ${workers.length} Workers deployed to ${env}`);
  return failed.length === 0 ? 0 : 1;
}

/** Why `w` must not be deployed now (a rollout's split deployment), or null; a Worker with no deployment yet has none to replace. */
async function splitInProgress(w: WorkerInfo, env: DeployEnvironment): Promise<string | null> {
  let deployment: unknown;
  try {
    deployment = await runJson(deploymentStatusCmd(w, env));
  } catch {
    return null; // no deployment to read (a new environment); the deploy itself reports any other failure
  }
  const live = stableVersion(parseDeployment(deployment));
  return live.ok ? null : live.reason;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
