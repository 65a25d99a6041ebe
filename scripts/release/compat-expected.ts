/**
 * The release's e2e tests that assert behaviour this build changes on
 * purpose (compat-expected.json), as a vitest `--testNamePattern` that runs
 * every other test. A test's full name is its suites and title joined by
 * spaces, so an entry matches a full name that ends with its title (the file
 * is documentation: vitest's full names do not carry it).
 * Only against the release the list was written for, and only with that
 * release's own tests: against any other release the whole suite runs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface ExpectedChanges {
  commit: string;
  /** `modes`: the compat modes (old-gateway, new-gateway) the change shows in; every mode when absent. */
  tests: { file: string; test: string; change: string; modes?: string[] }[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The pattern for `mode`, or undefined when nothing is skipped; prints each skipped test with its reason. */
export function expectedChanges(newRoot: string, refCommit: string | undefined, oldTests: boolean, mode: string): RegExp | undefined {
  const list = JSON.parse(readFileSync(join(newRoot, "scripts/release/compat-expected.json"), "utf8")) as ExpectedChanges;
  const tests = list.tests.filter((t) => !t.modes || t.modes.includes(mode));
  if (!oldTests || refCommit !== list.commit || tests.length === 0) return undefined;
  for (const t of tests) console.log(`[compat] skipping, changed on purpose: ${t.file} > ${t.test} (${t.change})`);
  return new RegExp(`^(?!.*(?:${tests.map((t) => `${escape(t.test)}$`).join("|")}))`);
}
