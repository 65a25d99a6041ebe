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
  tests: { file: string; test: string; change: string }[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The pattern, or undefined when nothing is skipped; prints each skipped test with its reason. */
export function expectedChanges(newRoot: string, refCommit: string | undefined, oldTests: boolean): RegExp | undefined {
  const list = JSON.parse(readFileSync(join(newRoot, "scripts/release/compat-expected.json"), "utf8")) as ExpectedChanges;
  if (!oldTests || refCommit !== list.commit || list.tests.length === 0) return undefined;
  for (const t of list.tests) console.log(`[compat] skipping, changed on purpose: ${t.file} > ${t.test} (${t.change})`);
  return new RegExp(`^(?!.*(?:${list.tests.map((t) => `${escape(t.test)}$`).join("|")}))`);
}
