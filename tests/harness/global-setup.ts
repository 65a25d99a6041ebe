import type { TestProject } from "vitest/node";
import { buildDomainWorkers } from "./build.ts";
import { startTestDatabase } from "./database.ts";
import { startSentryReceiver } from "./sentry-receiver.ts";

import type {} from "../provided-context.d.ts";

/** Once per run: bundle the Workers, start and migrate the database, hand its address to the pool. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [db, sentry] = await Promise.all([startTestDatabase(), startSentryReceiver(), buildDomainWorkers()]);
  project.provide("sentryDsn", sentry.dsn);
  project.provide("sentryUrl", sentry.url);
  project.provide("databaseUrl", db.url);
  project.provide("neonWsProxy", db.proxy);
  project.provide("databaseKind", db.kind);
  console.log(`test database: ${db.kind}`);
  return async () => {
    await db.close();
    await sentry.close();
  };
}
