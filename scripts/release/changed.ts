/**
 * Which Workers a set of changed files affects, so a rollout uploads only
 * those. Anything bundled into every Worker (shared/, durable/, dependencies)
 * changes all of them; docs, tests, load/ and scripts/ change none.
 */
import { ALL_WORKERS, type WorkerInfo } from "../workers.ts";

const AFFECTS_ALL = [/^shared\//, /^durable\//, /^package(-lock)?\.json$/, /^tsconfig(\.base)?\.json$/];

/** Workers whose deployed bundle or config may differ because of `files`, in dependency order. */
export function workersAffectedBy(files: string[]): WorkerInfo[] {
  if (files.some((f) => AFFECTS_ALL.some((re) => re.test(f)))) return [...ALL_WORKERS];
  const hit = new Set<string>();
  for (const f of files) {
    if (f === "wrangler.toml" || f.startsWith("workers/gateway/")) hit.add("gateway");
    const m = f.match(/^workers\/([a-z]+)\//);
    if (m?.[1] && m[1] !== "gateway") hit.add(m[1]);
  }
  return ALL_WORKERS.filter((w) => hit.has(w.name));
}

/** A version tag within Cloudflare's 25-character limit: the short commit, marked when the tree is dirty. */
export function versionTag(shortSha: string, dirty: boolean): string {
  return `${shortSha.slice(0, 12)}${dirty ? "-dirty" : ""}`.slice(0, 25);
}

/** A version message within Cloudflare's 100-character limit: release tag (if any) and commit subject. */
export function versionMessage(subject: string, release: string | undefined): string {
  const text = release ? `${release}: ${subject}` : subject;
  return text.length <= 100 ? text : `${text.slice(0, 99)}…`;
}
