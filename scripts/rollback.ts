/**
 * `npm run rollback -- --env production [--workers a,b | --all] [--dry-run]`
 *
 * One step back for the Workers a rollout of this checkout ships (those changed
 * since the last release; `--workers` names them, `--all` takes every one),
 * gateway first so no new gateway is left calling an old service: the old side of a split deployment, or the version
 * live before the current one, via `wrangler rollback` (which Cloudflare
 * refuses beyond the last 10 versions or across a DO migration).
 */
import { listFlag, parseArgs, stringFlag } from "./release/args.ts";
import { parseEnvironment } from "./release/environments.ts";
import { requireToken, run, runJson, say } from "./release/exec.ts";
import { previousRelease } from "./release/git.ts";
import { chooseWorkers } from "./release/preflight.ts";
import { parseDeploymentList, rollbackTarget } from "./release/versions.ts";
import { deploymentsListCmd, formatArgv, rollbackCmd } from "./release/wrangler.ts";

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), ["dry-run", "all"]);
  const env = parseEnvironment(stringFlag(args, "env"));
  const dryRun = args.flags["dry-run"] === true;
  const reason = stringFlag(args, "message") ?? "npm run rollback";
  // By default the Workers a rollout of this checkout ships (changed since the last release), not every Worker:
  // one the release did not touch would be moved to whatever it ran before (an older release).
  const selection = chooseWorkers(listFlag(args, "workers"), args.flags.all === true, previousRelease());
  const workers = [...selection.workers].reverse();
  if (workers.length === 0) {
    // Nothing changed since the recorded release (say, main right after tagging it): this checkout cannot tell.
    say(`REFUSED: no Worker to roll back (${selection.why}): name them with --workers, or --all`);
    return 1;
  }
  say(`rollback of ${workers.map((w) => w.name).join(", ")} (${selection.why})`);

  if (dryRun) {
    say(`rollback plan for ${env} (dry run), gateway first:`);
    for (const w of workers) {
      process.stdout.write(`[${w.name}] ${formatArgv(deploymentsListCmd(w, env))}\n  # -> {previous}: the old side of a split, else the version live before the current one\n`);
      process.stdout.write(`[${w.name}] ${formatArgv(rollbackCmd(w, env, "{previous}", reason))}\n`);
    }
    return 0;
  }
  requireToken();
  let failed = 0;
  for (const w of workers) {
    const target = rollbackTarget(parseDeploymentList(await runJson(deploymentsListCmd(w, env))));
    if (!target) {
      say(`${w.name}: no earlier version in its recent deployments; left as it is`);
      continue;
    }
    const r = await run(rollbackCmd(w, env, target, reason), { stream: true });
    if (r.code === 0) say(`${w.name}: now serving ${target}`);
    else {
      failed++;
      say(`${w.name}: rollback to ${target} failed (exit ${r.code}); Cloudflare refuses versions outside the last 10 and across a DO migration`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
