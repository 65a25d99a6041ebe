/**
 * The test database, started once per `vitest run` in Node: the Postgres named
 * by TEST_DATABASE_URL (CI's PostgreSQL 15 run) or a fresh in-memory PGlite,
 * behind the Neon WebSocket proxy, migrated and seeded with the admin account.
 * When TEST_DATABASE_URL is a pooled URL (CI puts PgBouncer in transaction
 * mode in front, as Neon's pooled endpoint is), TEST_DATABASE_DIRECT_URL names
 * the direct connection that migrations and seeding use.
 */
import { migrateDatabase, withDb } from "../../scripts/db.ts";
import { startPglite, type LocalDatabase } from "../../scripts/local-db.ts";
import { startWsProxy, type WsProxy } from "../../scripts/neon-ws-proxy.ts";
import { freePort } from "../../scripts/ports.ts";
import { seedAdmin } from "../../scripts/seed.ts";

export interface TestDatabase {
  url: string;
  /** `127.0.0.1:port/v1`, the NEON_WS_PROXY value Workers get. */
  proxy: string;
  kind: "pglite" | "postgres";
  proxyServer: WsProxy;
  close(): Promise<void>;
}

export async function startTestDatabase(): Promise<TestDatabase> {
  let local: LocalDatabase | undefined;
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    local = await startPglite(await freePort());
    url = local.url;
  }
  const proxyServer = await startWsProxy(0, { serialize: Boolean(local) });
  const proxy = `127.0.0.1:${proxyServer.port}/v1`;
  const direct = process.env.TEST_DATABASE_DIRECT_URL ?? url;
  await migrateDatabase(direct, proxy);
  await withDb(direct, proxy, (db) => seedAdmin(db));
  return {
    url,
    proxy,
    kind: local ? "pglite" : "postgres",
    proxyServer,
    close: async () => {
      await proxyServer.close();
      await local?.close();
    },
  };
}
