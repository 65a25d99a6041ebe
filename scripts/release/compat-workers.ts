/**
 * Miniflare options for a mixed old/new stack: each domain Worker runs from a
 * bundle of one build (old release or new tree) with that build's own wrangler
 * config and `.dev.vars.example`, like tests/harness/workers.ts does for one
 * build. Paths are absolute so the old build can live in a git worktree.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { testBindings, type TestDatabaseRef } from "../../tests/harness/workers.ts";
import { DOMAIN_WORKERS, type WorkerInfo } from "../workers.ts";

/** One build of the Workers: the source tree it came from and where its bundles are. */
export interface Build {
  root: string;
  bundles: string;
}

/** A WorkerInfo whose config and dir point into `root`. */
export function inBuild(w: WorkerInfo, root: string): WorkerInfo {
  return { ...w, config: join(root, w.config), dir: join(root, w.dir) };
}

/** Whether a build has this Worker at all (a Worker added since the release has no old build). */
export function hasWorker(w: WorkerInfo, build: Build): boolean {
  return existsSync(join(build.root, w.config));
}

/** Auxiliary Worker options: every domain Worker from `pick(worker)`'s build. */
export function mixedAuxiliaryWorkers(db: TestDatabaseRef, pick: (w: WorkerInfo) => Build): LegacyWorkerOptions[] {
  return DOMAIN_WORKERS.map((w) => {
    const build = pick(w);
    const info = inBuild(w, build.root);
    // modulesRules describe unbundled sources; these Workers run from their bundle.
    const { modulesRules: _rules, ...options } = unstable_getMiniflareWorkerOptions(info.config).workerOptions;
    const bindings = { ...(options.bindings as Record<string, string> | undefined), ...testBindings(info, db) };
    const dir = join(build.bundles, w.name);
    return { ...options, name: w.script, modules: true, modulesRoot: dir, scriptPath: join(dir, "index.js"), bindings };
  });
}
