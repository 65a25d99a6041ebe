/**
 * `npm run db:migrate`: applies migrations/ to DATABASE_URL, the same way on
 * PGlite, a local PostgreSQL and Neon. A loopback database is reached through
 * a short-lived local Neon WebSocket proxy; Neon directly.
 */
import { migrateDatabase, withLocalProxy } from "./db.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("set DATABASE_URL (npm start migrates the embedded database by itself)");
  process.exit(1);
}
await withLocalProxy(url, (proxy) => migrateDatabase(url, proxy));
console.log("migrations applied");
