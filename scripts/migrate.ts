/**
 * `npm run db:migrate`: applies migrations/ to DATABASE_URL, the same way on
 * PGlite, a local PostgreSQL and Neon. A loopback database is reached through
 * a short-lived local Neon WebSocket proxy; Neon directly.
 */
import { isLoopback, migrateDatabase } from "./db.ts";
import { startWsProxy } from "./neon-ws-proxy.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("set DATABASE_URL (npm start migrates the embedded database by itself)");
  process.exit(1);
}
const proxy = isLoopback(url) ? await startWsProxy(0) : undefined;
try {
  await migrateDatabase(url, proxy ? `127.0.0.1:${proxy.port}/v1` : undefined);
  console.log("migrations applied");
} finally {
  await proxy?.close();
}
