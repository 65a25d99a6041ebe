/**
 * Offline checks shared by the rollout and the migration deploy: which
 * Workers changed since the last release, and which of them carry a new
 * Durable Object migration (compared with the release tag's config).
 */
import { readFileSync } from "node:fs";
import type { WorkerInfo } from "../workers.ts";
import { workersAffectedBy } from "./changed.ts";
import { selectWorkers, type DeployEnvironment } from "./environments.ts";
import { changedFilesSince, fileAt } from "./git.ts";
import { extractMigrations, newMigrations, type DoMigration } from "./migrations.ts";

export interface Selection {
  workers: WorkerInfo[];
  /** How the list was chosen, for the log. */
  why: string;
}

/** --workers wins; then --all; then the Workers changed since the last release (all when there is none). */
export function chooseWorkers(explicit: string[] | undefined, all: boolean, release: string | undefined): Selection {
  if (explicit) return { workers: selectWorkers(explicit), why: "named with --workers" };
  if (all) return { workers: selectWorkers(undefined), why: "--all" };
  if (!release) return { workers: selectWorkers(undefined), why: "no release yet (no release-* tag, no released.json commit): every Worker counts as changed" };
  const files = changedFilesSince(release);
  return { workers: workersAffectedBy(files), why: `changed since ${release} (${files.length} files differ)` };
}

export interface PendingMigration {
  worker: WorkerInfo;
  migrations: DoMigration[];
}

/**
 * New `[[migrations]]` per Worker relative to the release tag. Without a tag
 * nothing can be compared; the caller says so (and wrangler's own upload
 * refuses migrations as a second line of defence).
 */
export function pendingMigrations(workers: WorkerInfo[], env: DeployEnvironment, release: string | undefined): PendingMigration[] {
  if (!release) return [];
  return workers
    .map((worker) => {
      const now = extractMigrations(readFileSync(worker.config, "utf8"), env);
      const then = extractMigrations(fileAt(release, worker.config) ?? "", env);
      return { worker, migrations: newMigrations(now, then) };
    })
    .filter((p) => p.migrations.length > 0);
}
