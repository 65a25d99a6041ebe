/**
 * Read-only git queries for the release scripts: the last release tag, files
 * changed since it, a file's content at it, and the commit being released.
 * Nothing here changes repository state.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { say } from "./exec.ts";

function git(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync("git", args, { encoding: "utf8" });
  return { ok: r.status === 0, out: (r.stdout ?? "").trim() };
}

/** Release tags are named `release-*`; this prefix is what `git tag` should use for new ones. */
export const RELEASE_TAG_PATTERN = "release-*";

/**
 * The newest `release-*` tag that does not point at HEAD: the release a new
 * build is compared with (a tag on HEAD names the build itself).
 */
export function lastReleaseTag(): string | undefined {
  const head = git(["rev-parse", "HEAD"]).out;
  const tags = git(["tag", "--list", RELEASE_TAG_PATTERN, "--sort=-creatordate"]).out.split("\n").filter(Boolean);
  return tags.find((t) => git(["rev-list", "-n", "1", t]).out !== head);
}

/**
 * The release recorded in scripts/release/released.json, when its commit is in
 * this clone: CI clones do not always carry tags, commits they do.
 */
function recordedRelease(): string | undefined {
  const file = resolve("scripts/release/released.json");
  if (!existsSync(file)) return undefined;
  const { tag, commit } = JSON.parse(readFileSync(file, "utf8")) as { tag: string; commit: string };
  if (!git(["cat-file", "-e", `${commit}^{commit}`]).ok) return undefined;
  say(`no ${RELEASE_TAG_PATTERN} tag in this clone; using the recorded release ${tag} (${commit.slice(0, 7)})`);
  return commit;
}

/** `--ref`, else the last release tag, else the recorded release; undefined when there is none. */
export function previousRelease(ref?: string): string | undefined {
  return ref ?? lastReleaseTag() ?? recordedRelease();
}

/** Files that differ between `ref` and the working tree, untracked files included. */
export function changedFilesSince(ref: string): string[] {
  const diff = git(["diff", "--name-only", ref]);
  if (!diff.ok) throw new Error(`git diff against ${ref} failed`);
  const untracked = git(["ls-files", "--others", "--exclude-standard"]).out;
  return [...new Set([...diff.out.split("\n"), ...untracked.split("\n")].filter(Boolean))];
}

/** A file's content at `ref`, or undefined when it did not exist there. */
export function fileAt(ref: string, path: string): string | undefined {
  const r = spawnSync("git", ["show", `${ref}:${path}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout : undefined;
}

export interface HeadInfo {
  shortSha: string;
  subject: string;
  dirty: boolean;
  /** A release-* tag on HEAD, if the build is already tagged. */
  release?: string;
}

/** The commit being released: short sha, subject, whether the tree has uncommitted changes. */
export function headInfo(): HeadInfo {
  const shortSha = git(["rev-parse", "--short=12", "HEAD"]).out || "unknown";
  const subject = git(["log", "-1", "--format=%s"]).out || "(no commit)";
  const dirty = git(["status", "--porcelain"]).out.length > 0;
  const release = git(["tag", "--points-at", "HEAD", "--list", RELEASE_TAG_PATTERN]).out.split("\n").filter(Boolean)[0];
  return { shortSha, subject, dirty, release };
}
