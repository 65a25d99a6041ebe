/**
 * Builders for every wrangler command the release scripts run, as argv arrays
 * (run with `npx`). One place, so dry runs print exactly what a real run does.
 * `-c <config> --env <env>` selects the Worker: wrangler takes the script name
 * from the config's `[env.<env>] name`.
 */
import type { WorkerInfo } from "../workers.ts";
import type { DeployEnvironment } from "./environments.ts";

export type Argv = string[];

const target = (w: WorkerInfo, env: DeployEnvironment): Argv => ["-c", w.config, "--env", env];

/** Full deploy at 100% (also applies Durable Object migrations). */
export function deployCmd(w: WorkerInfo, env: DeployEnvironment, tag: string, message: string): Argv {
  return ["wrangler", "deploy", ...target(w, env), "--tag", tag, "--message", message];
}

/** Uploads a version without sending it traffic. */
export function uploadCmd(w: WorkerInfo, env: DeployEnvironment, tag: string, message: string): Argv {
  return ["wrangler", "versions", "upload", ...target(w, env), "--tag", tag, "--message", message];
}

/**
 * Splits traffic: `<new>@p% <old>@(100-p)%`, or the single `<id>@100%`.
 * Ids may be plan placeholders such as `{new:catalog}`.
 */
export function splitCmd(w: WorkerInfo, env: DeployEnvironment, newId: string, oldId: string, percent: number, message: string): Argv {
  const specs = percent >= 100 ? [`${newId}@100%`] : [`${newId}@${percent}%`, `${oldId}@${100 - percent}%`];
  return ["wrangler", "versions", "deploy", ...specs, ...target(w, env), "--yes", "--message", message];
}

/**
 * Applies routes, crons and queue consumers from the config: they are not part
 * of a version, so `versions deploy` leaves them as they were.
 */
export function triggersCmd(w: WorkerInfo, env: DeployEnvironment): Argv {
  return ["wrangler", "triggers", "deploy", ...target(w, env)];
}

/** The 10 most recent versions, as JSON. */
export function versionsListCmd(w: WorkerInfo, env: DeployEnvironment): Argv {
  return ["wrangler", "versions", "list", ...target(w, env), "--json"];
}

/** The live deployment (versions and percentages), as JSON. */
export function deploymentStatusCmd(w: WorkerInfo, env: DeployEnvironment): Argv {
  return ["wrangler", "deployments", "status", ...target(w, env), "--json"];
}

/** Recent deployments, oldest first, as JSON. */
export function deploymentsListCmd(w: WorkerInfo, env: DeployEnvironment): Argv {
  return ["wrangler", "deployments", "list", ...target(w, env), "--json"];
}

/** Cloudflare's rollback: one step back to `versionId` at 100% (refused across a DO migration). */
export function rollbackCmd(w: WorkerInfo, env: DeployEnvironment, versionId: string, message: string): Argv {
  return ["wrangler", "rollback", versionId, ...target(w, env), "--yes", "--message", message];
}

/** Shell-quotes an argv for printing (what a human would paste into a terminal). */
export function formatArgv(argv: Argv, bin = "npx"): string {
  return [bin, ...argv].map((a) => (/^[\w@%./:=,{}-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** Replaces `{new:<worker>}` / `{old:<worker>}` placeholders with resolved version ids. */
export function resolveArgv(argv: Argv, ids: ReadonlyMap<string, string>): Argv {
  return argv.map((a) =>
    a.replace(/\{(new|old):([a-z]+)\}/g, (whole, side: string, name: string) => ids.get(`${side}:${name}`) ?? whole),
  );
}
