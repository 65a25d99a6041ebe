/**
 * `npm run rollout -- --env production [--stages 10,50,100] [--wait 60]
 *   [--canary 40] [--target URL] [--workers a,b | --all] [--skip-smoke] [--dry-run] [--allow-dirty]`
 *
 * Gradual deployment of every Worker changed since the last release tag:
 * `wrangler versions upload` (tag and message from git), then traffic moved
 * stage by stage with `wrangler versions deploy`, gates checked at each stage,
 * automatic rollback when one fails. With DATABASE_URL set, refuses while the
 * environment's database lacks a migration this build ships. See docs/deployments.md.
 */
import { listFlag, numberFlag, parseArgs, parseStages, stringFlag } from "./release/args.ts";
import { versionMessage, versionTag } from "./release/changed.ts";
import { parseEnvironment, scriptName, targetUrl } from "./release/environments.ts";
import { requireToken, say } from "./release/exec.ts";
import { headInfo, previousRelease } from "./release/git.ts";
import { destructiveReasons } from "./release/migrations.ts";
import { buildRolloutPlan } from "./release/plan.ts";
import { printPlan } from "./release/print-plan.ts";
import { executeRollout } from "./release/rollout-run.ts";
import { chooseWorkers, pendingMigrations } from "./release/preflight.ts";
import { databaseSchemaReady } from "./release/schema-check.ts";

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), ["dry-run", "all", "allow-dirty", "skip-smoke"]);
  const env = parseEnvironment(stringFlag(args, "env"));
  const stages = parseStages(stringFlag(args, "stages"));
  const waitSeconds = numberFlag(args, "wait", 60);
  const rounds = Math.max(1, Math.round(numberFlag(args, "canary", 40)));
  const dryRun = args.flags["dry-run"] === true;
  const skipSmoke = args.flags["skip-smoke"] === true;
  const baseUrl = targetUrl(env, stringFlag(args, "target"), process.env);

  const head = headInfo();
  const tag = versionTag(head.shortSha, head.dirty);
  const message = versionMessage(head.subject, head.release);
  const release = previousRelease();
  const selection = chooseWorkers(listFlag(args, "workers"), args.flags.all === true, release);
  say(`rollout to ${env}${dryRun ? " (dry run)" : ""}: version tag ${tag}, "${message}"`);
  say(`compared with ${release ?? "no release tag"}; Workers: ${selection.workers.map((w) => w.name).join(", ") || "none"} (${selection.why})`);
  if (selection.workers.length === 0) {
    say("nothing changed since the last release: nothing to roll out");
    return 0;
  }

  if (!release) say("no release (no release-* tag, no released.json commit in this clone): DO migrations cannot be compared; wrangler versions upload still refuses them");
  const pending = pendingMigrations(selection.workers, env, release);
  if (pending.length > 0) {
    for (const p of pending) {
      say(`REFUSED: ${p.worker.name} carries new Durable Object migration(s) ${p.migrations.map((m) => `${m.tag} [${m.kinds.join(", ")}]`).join(", ")}`);
      for (const r of destructiveReasons(p.migrations)) say(`  warning: ${r}`);
    }
    say(`DO migrations cannot ship as versions (Cloudflare applies them only with a full deploy). Run, in this order:`);
    for (const p of pending) say(`  npm run deploy:migration -- --env ${env} --worker ${p.worker.name}`);
    say(`then npm run rollout again: Workers whose live version already has tag ${tag} are skipped.`);
    return 1;
  }
  if (head.dirty && !dryRun && args.flags["allow-dirty"] !== true) {
    say("REFUSED: uncommitted changes: a version's tag must name the commit it was built from (commit, or pass --allow-dirty)");
    return 1;
  }

  const plan = buildRolloutPlan({ env, workers: selection.workers, stages, waitSeconds, tag, message });
  const gateway = selection.workers.find((w) => w.name === "gateway");
  if (dryRun) {
    printPlan(plan, { baseUrl, rounds, skipSmoke, gatewayScript: gateway ? scriptName(gateway, env) : undefined });
    return 0;
  }
  requireToken();
  if (!(await databaseSchemaReady(process.env.DATABASE_URL, say))) return 1;
  return executeRollout(plan, { baseUrl, rounds, tag, skipSmoke });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
