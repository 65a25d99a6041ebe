/**
 * Global setup of the compat run: the current migrations on a fresh database
 * (a release migrates the schema first, so the old build must work on the new
 * schema too), handed to the Workers like the main harness does.
 */
import type { TestProject } from "vitest/node";
import { startTestDatabase } from "../../tests/harness/database.ts";

/** Starts and migrates the database; returns its teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const db = await startTestDatabase();
  project.provide("databaseUrl", db.url);
  project.provide("neonWsProxy", db.proxy);
  project.provide("databaseKind", db.kind);
  return () => db.close();
}
