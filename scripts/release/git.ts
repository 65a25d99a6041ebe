/**
 * Read-only git queries for the release scripts: the last release tag, files
 * changed since it, a file's content at it, and the commit being released.
 * Nothing here changes repository state.
 */
import { spawnSync } from "node:child_process";

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
