/**
 * Deployment environments and how a Worker is named in each. `dev` is the
 * top level of every wrangler config (local only); staging and production are
 * `[env.*]` sections whose `name` is `<script>-<env>`.
 */
import { ALL_WORKERS, type WorkerInfo } from "../workers.ts";

export const DEPLOY_ENVIRONMENTS = ["staging", "production"] as const;
export type DeployEnvironment = (typeof DEPLOY_ENVIRONMENTS)[number];

/** Placeholder public URLs (see docs/deployments.md); override with EDGESHOP_URL_<ENV> or --target. */
const PLACEHOLDER_URLS: Record<DeployEnvironment, string> = {
  staging: "https://api-staging.edgeshop.example",
  production: "https://api.edgeshop.example",
};

/** Narrows a CLI value to a deploy environment, or explains what is accepted. */
export function parseEnvironment(value: string | undefined): DeployEnvironment {
  if (value === undefined) throw new Error(`--env is required (${DEPLOY_ENVIRONMENTS.join(" | ")}); dev is local: use npm start`);
  const found = DEPLOY_ENVIRONMENTS.find((e) => e === value);
  if (!found) throw new Error(`unknown environment "${value}" (expected ${DEPLOY_ENVIRONMENTS.join(" | ")}; dev is local: use npm start)`);
  return found;
}

/** The Cloudflare script name of a Worker in an environment (matches `[env.<env>] name`). */
export function scriptName(worker: WorkerInfo, env: DeployEnvironment): string {
  return `${worker.script}-${env}`;
}

/** The gateway's public base URL: --target, then EDGESHOP_URL_<ENV>, then the documented placeholder. */
export function targetUrl(env: DeployEnvironment, override: string | undefined, vars: Record<string, string | undefined>): string {
  const url = override ?? vars[`EDGESHOP_URL_${env.toUpperCase()}`] ?? PLACEHOLDER_URLS[env];
  return url.replace(/\/+$/, "");
}

/** Resolves `--workers a,b` to WorkerInfo in dependency order (gateway last), rejecting unknown names. */
export function selectWorkers(names: string[] | undefined): WorkerInfo[] {
  if (!names || names.length === 0) return [...ALL_WORKERS];
  const unknown = names.filter((n) => !ALL_WORKERS.some((w) => w.name === n));
  if (unknown.length > 0) throw new Error(`unknown worker(s): ${unknown.join(", ")} (known: ${ALL_WORKERS.map((w) => w.name).join(", ")})`);
  return ALL_WORKERS.filter((w) => names.includes(w.name));
}
