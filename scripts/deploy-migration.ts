/**
 * `npm run deploy:migration -- --env production --worker catalog
 *   [--dry-run] [--allow-destructive] [--all-migrations] [--target URL]`
 *
 * The path for a version that carries a Durable Object migration, which
 * Cloudflare applies only with a full deploy (never as an uploaded version):
 * checks the migration, deploys that one Worker at 100%, checks /health, and
 * says that rollback across the migration is now blocked. Run it before
 * `npm run rollout`, which then skips the Worker (its live version has this tag).
 */
import { readFileSync } from "node:fs";
import { parseArgs, stringFlag } from "./release/args.ts";
import { versionMessage, versionTag } from "./release/changed.ts";
import { parseEnvironment, selectWorkers, targetUrl } from "./release/environments.ts";
import { requireToken, run, runJson, say } from "./release/exec.ts";
import { headInfo, previousRelease } from "./release/git.ts";
import { destructiveReasons, extractMigrations } from "./release/migrations.ts";
import { pendingMigrations } from "./release/preflight.ts";
import { databaseSchemaReady } from "./release/schema-check.ts";
import { parseDeployment, stableVersion } from "./release/versions.ts";
import { deployCmd, deploymentStatusCmd, formatArgv } from "./release/wrangler.ts";

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), ["dry-run", "allow-destructive", "all-migrations"]);
  const env = parseEnvironment(stringFlag(args, "env"));
  const name = stringFlag(args, "worker");
  if (!name) throw new Error("--worker <name> is required: a migration ships one Worker at a time");
  const [worker] = selectWorkers([name]);
  const release = previousRelease();
  const head = headInfo();
  const tag = versionTag(head.shortSha, head.dirty);

  // --all-migrations: a new environment has seen none of them; Cloudflare applies only unseen tags anyway
  const all = args.flags["all-migrations"] === true || !release;
  const migrations = all
    ? extractMigrations(readFileSync(worker!.config, "utf8"), env)
    : (pendingMigrations([worker!], env, release)[0]?.migrations ?? []);
  if (all) say(`${release ? "--all-migrations" : "no release (tag or released.json) to compare with"}: listing every migration in ${worker!.config}; Cloudflare applies only the ones it has not seen`);
  if (migrations.length === 0) {
    say(`${name} has no new Durable Object migration since ${release}: nothing for this path, use npm run rollout`);
    return 0;
  }
  say(`${name}: migration(s) ${migrations.map((m) => `${m.tag} [${m.kinds.join(", ")}]`).join(", ")}`);
  const destructive = destructiveReasons(migrations);
  for (const r of destructive) say(`warning: ${r}`);
  if (destructive.length > 0 && args.flags["allow-destructive"] !== true) {
    say("REFUSED: destructive migration; re-run with --allow-destructive once its data handling is reviewed");
    return 1;
  }
  const message = versionMessage(`DO migration ${migrations.map((m) => m.tag).join(",")}: ${head.subject}`, head.release);
  const deploy = deployCmd(worker!, env, tag, message);
  const url = targetUrl(env, stringFlag(args, "target"), process.env);

  if (args.flags["dry-run"] === true) {
    process.stdout.write(`${formatArgv(deploymentStatusCmd(worker!, env))}\n  # refuse if a gradual deployment is in progress\n`);
    process.stdout.write(`${formatArgv(deploy)}\n  # full deploy at 100%: applies the migration\n`);
    process.stdout.write(`GET ${url}/health  # expect 200 and services.${name} = "ok"\n`);
    return 0;
  }
  requireToken();
  if (!(await databaseSchemaReady(process.env.DATABASE_URL, say))) return 1;
  const live = stableVersion(parseDeployment(await runJson(deploymentStatusCmd(worker!, env))));
  if (!live.ok) {
    say(`REFUSED: ${name}: ${live.reason}`);
    return 1;
  }
  const r = await run(deploy, { stream: true });
  if (r.code !== 0) {
    say(`deploy failed (exit ${r.code}); ${live.id} still serves ${name}`);
    return 1;
  }
  say(`${name} deployed with its migration. Rollback to ${live.id} or earlier is now blocked by Cloudflare.`);
  const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) }).then(
    async (res) => {
      // events is reported by its version only (workers/gateway/src/routes/health.ts)
      const body = (await res.json()) as { services?: Record<string, string>; versions?: Record<string, string> };
      return `${res.status} ${JSON.stringify(body.services?.[name] ?? { version: body.versions?.[name] })}`;
    },
    (e: unknown) => `unreachable (${e instanceof Error ? e.message : String(e)})`,
  );
  say(`health after deploy: ${health}`);
  say(`next: npm run rollout -- --env ${env} (skips ${name}, already on ${tag})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
