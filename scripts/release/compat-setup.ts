/**
 * Global setup of the compat run: a Sentry envelope receiver, as in the main
 * harness, and the current migrations on a fresh database
 * (a release migrates the schema first, so the old build must work on the new
 * schema too), handed to the Workers like the main harness does.
 */
import type { TestProject } from "vitest/node";
import { startTestDatabase } from "../../tests/harness/database.ts";
import { startSentryReceiver } from "../../tests/harness/sentry-receiver.ts";

/** Starts and migrates the database and the Sentry receiver; returns their teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [db, sentry] = await Promise.all([startTestDatabase(), startSentryReceiver()]);
  project.provide("sentryDsn", sentry.dsn);
  project.provide("sentryUrl", sentry.url);
  project.provide("databaseUrl", db.url);
  project.provide("neonWsProxy", db.proxy);
  project.provide("databaseKind", db.kind);
  return async () => {
    await db.close();
    await sentry.close();
  };
}
