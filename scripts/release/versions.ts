/**
 * Reading `wrangler versions list --json` and `wrangler deployments list|status
 * --json`, and the decisions built on them: which version is live, which one a
 * rollback returns to, and whether that one is still inside Cloudflare's
 * rollback window (the 10 most recent versions).
 */

export interface VersionInfo {
  id: string;
  createdOn: string;
  tag?: string;
  message?: string;
}

export interface Deployment {
  createdOn: string;
  versions: { id: string; percentage: number }[];
}

export const ROLLBACK_WINDOW = 10;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Parses `wrangler versions list --json` (oldest first, as wrangler prints it). */
export function parseVersionList(json: unknown): VersionInfo[] {
  if (!Array.isArray(json)) throw new Error("versions list: expected a JSON array");
  return json.filter(isObject).map((v) => {
    const meta = isObject(v.metadata) ? v.metadata : {};
    const notes = isObject(v.annotations) ? v.annotations : {};
    const id = str(v.id);
    if (!id) throw new Error("versions list: a version has no id");
    return { id, createdOn: str(meta.created_on) ?? "", tag: str(notes["workers/tag"]), message: str(notes["workers/message"]) };
  });
}

/** Parses one deployment object (`deployments status --json`). */
export function parseDeployment(json: unknown): Deployment {
  if (!isObject(json) || !Array.isArray(json.versions)) throw new Error("deployment: expected an object with versions");
  const versions = json.versions.filter(isObject).map((v) => ({ id: str(v.version_id) ?? "", percentage: Number(v.percentage) }));
  if (versions.length === 0 || versions.some((v) => v.id === "" || !Number.isFinite(v.percentage))) throw new Error("deployment: malformed versions");
  return { createdOn: str(json.created_on) ?? "", versions };
}

/** Parses `wrangler deployments list --json` (oldest first). */
export function parseDeploymentList(json: unknown): Deployment[] {
  if (!Array.isArray(json)) throw new Error("deployments list: expected a JSON array");
  return json.map(parseDeployment);
}

/**
 * The version serving all traffic, which a rollout moves away from and rolls
 * back to. A deployment still split between two versions means an unfinished
 * rollout: starting another would lose track of the stable version.
 */
export function stableVersion(deployment: Deployment): { ok: true; id: string } | { ok: false; reason: string } {
  const live = deployment.versions.filter((v) => v.percentage > 0);
  if (live.length === 1) return { ok: true, id: live[0]!.id };
  const split = deployment.versions.map((v) => `${v.id}@${v.percentage}%`).join(" ");
  return { ok: false, reason: `a gradual deployment is in progress (${split}): finish it or run npm run rollback first` };
}

/**
 * Whether `id` stays rollback-able: it must be among the ROLLBACK_WINDOW most
 * recent versions after `pendingUploads` more versions are uploaded.
 */
export function inRollbackWindow(versions: VersionInfo[], id: string, pendingUploads = 0): boolean {
  const newestFirst = [...versions].sort((a, b) => b.createdOn.localeCompare(a.createdOn));
  const index = newestFirst.findIndex((v) => v.id === id);
  return index !== -1 && index + pendingUploads < ROLLBACK_WINDOW;
}

/**
 * The version `npm run rollback` returns to: in a split deployment the one
 * that was live first (the old side); otherwise the main version of the most
 * recent earlier deployment that served something else.
 */
export function rollbackTarget(deployments: Deployment[]): string | undefined {
  const current = deployments.at(-1);
  if (!current) return undefined;
  const firstSeen = (id: string): number => deployments.findIndex((d) => d.versions.some((v) => v.id === id));
  if (current.versions.length > 1) return [...current.versions].sort((a, b) => firstSeen(a.id) - firstSeen(b.id))[0]!.id;
  const live = current.versions[0]!.id;
  for (let i = deployments.length - 2; i >= 0; i--) {
    const main = [...deployments[i]!.versions].sort((a, b) => b.percentage - a.percentage)[0]!;
    if (main.id !== live) return main.id;
  }
  return undefined;
}

/** Extracts the id from `wrangler versions upload` output ("Worker Version ID: <uuid>"). */
export function uploadedVersionId(output: string): string | undefined {
  return output.match(/Worker Version ID:\s*([0-9a-f-]{36})/i)?.[1];
}
