/**
 * The previous release as a second source tree: the last `release-*` tag (or
 * the release recorded in scripts/release/released.json, when its commit is
 * in the clone) checked out with `git worktree add --detach`, sharing this
 * tree's node_modules. Used by `npm run compat` and `npm run rollout:rehearse`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, symlinkSync } from "node:fs";
import { resolve } from "node:path";
import { say } from "./exec.ts";

function git(args: string[]): boolean {
  return spawnSync("git", args, { stdio: "inherit" }).status === 0;
}

/** Removes a worktree left by an earlier run (or a plain folder in its place). */
export function removeWorktree(dir: string): void {
  if (existsSync(dir) && !git(["worktree", "remove", "--force", dir])) rmSync(dir, { recursive: true, force: true });
  spawnSync("git", ["worktree", "prune"]);
}

/** Checks `ref` out into `dir` (replacing what was there) and links this tree's node_modules into it. */
export function checkoutPrevious(ref: string, dir: string): void {
  removeWorktree(dir);
  say(`checking out ${ref} into ${dir}`);
  if (!git(["worktree", "add", "--detach", dir, ref])) throw new Error(`git worktree add ${ref} failed`);
  symlinkSync(resolve("node_modules"), resolve(dir, "node_modules"), "dir");
  if (spawnSync("git", ["diff", "--quiet", ref, "--", "package-lock.json"]).status !== 0) {
    say(`note: dependencies changed since ${ref}; its build is bundled with today's node_modules`);
  }
}

/** The full commit id `ref` names. */
export function commitOf(ref: string): string {
  const r = spawnSync("git", ["rev-parse", `${ref}^{commit}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`unknown git ref ${ref}`);
  return r.stdout.trim();
}
