/**
 * `npm run compat [-- --ref <git-ref>] [--mode both|old-gateway|new-gateway|baseline] [--tests old|new] [--keep]`
 *
 * Runs the e2e suite against mixed builds, as they coexist during a gradual
 * rollout: the previous release (last `release-*` tag, checked out with
 * `git worktree add` into .tmp/compat/tree) against the working tree.
 *   old-gateway: old gateway -> new services    new-gateway: new gateway -> old services
 * Without a release tag, the release recorded in scripts/release/released.json
 * (when its commit is in the clone); without either there is nothing to
 * compare: says so and exits 0.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs, stringFlag } from "./release/args.ts";
import { bundleBuild } from "./release/compat-build.ts";
import { expectedChanges } from "./release/compat-expected.ts";
import type { Build } from "./release/compat-workers.ts";
import { say } from "./release/exec.ts";
import { RELEASE_TAG_PATTERN } from "./release/git.ts";
import { previousRelease } from "./release/git.ts";
import { checkoutPrevious, commitOf, removeWorktree } from "./release/previous-build.ts";

const MODES = ["old-gateway", "new-gateway"];
/** Not part of "both": new gateway -> new services, to tell an incompatibility from a plain regression. */
const CONTROL = "baseline";

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), ["keep"]);
  const ref = previousRelease(stringFlag(args, "ref"));
  if (!ref) {
    say(`no ${RELEASE_TAG_PATTERN} tag yet: there is no previous release to check compatibility with; skipping (ok).`);
    say(`after the first release: git tag release-<yyyy-mm-dd> <commit> && git push --tags`);
    return 0;
  }
  const mode = stringFlag(args, "mode") ?? "both";
  const modes = mode === "both" ? MODES : [...MODES, CONTROL].filter((m) => m === mode);
  if (modes.length === 0) throw new Error(`--mode must be both, ${[...MODES, CONTROL].join(", ")}`);
  const tests = stringFlag(args, "tests") ?? "old";
  if (tests !== "old" && tests !== "new") throw new Error("--tests must be old or new");

  const dir = resolve(".tmp/compat/tree");
  checkoutPrevious(ref, dir);
  try {
    const oldBuild: Build = { root: dir, bundles: resolve(".tmp/compat/bundles-old") };
    const newBuild: Build = { root: resolve("."), bundles: resolve(".tmp/compat/bundles-new") };
    say("bundling the old and the new domain Workers");
    const [oldNames] = await Promise.all([bundleBuild(oldBuild), bundleBuild(newBuild)]);
    say(`old build has: ${oldNames.join(", ")} (a Worker missing there runs its new build)`);

    const results: string[] = [];
    for (const m of modes) {
      const what = { "old-gateway": `${ref} gateway -> new services`, "new-gateway": `new gateway -> ${ref} services`, baseline: "new gateway -> new services" }[m];
      say(`compat ${m}: ${what}, ${tests} e2e tests`);
      const skip = expectedChanges(newBuild.root, commitOf(ref), tests === "old", m);
      const filter = skip ? ["--testNamePattern", skip.source] : [];
      const run = spawnSync("npx", ["vitest", "run", "--config", resolve("scripts/release/compat.vitest.config.ts"), ...filter], {
        stdio: "inherit",
        env: {
          ...process.env,
          COMPAT_MODE: m,
          COMPAT_OLD_ROOT: oldBuild.root,
          COMPAT_OLD_BUNDLES: oldBuild.bundles,
          COMPAT_NEW_ROOT: newBuild.root,
          COMPAT_NEW_BUNDLES: newBuild.bundles,
          COMPAT_TESTS_ROOT: tests === "old" ? oldBuild.root : newBuild.root,
        },
      });
      results.push(`${m}: ${run.status === 0 ? "passed" : `FAILED (exit ${run.status})`}`);
    }
    for (const r of results) say(`compat with ${ref} ${r}`);
    return results.every((r) => r.endsWith("passed")) ? 0 : 1;
  } finally {
    if (args.flags.keep === true) say(`kept ${dir}; remove it with git worktree remove --force ${dir}`);
    else removeWorktree(dir);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
