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
import { parseEnvironment, selectWorkers } from "./release/environments.ts";
import { requireToken, run, say } from "./release/exec.ts";
import { headInfo } from "./release/git.ts";
import { databaseSchemaReady } from "./release/schema-check.ts";
import { deployCmd, formatArgv } from "./release/wrangler.ts";
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

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
