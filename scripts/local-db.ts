/**
 * The embedded default database: PGlite (Postgres compiled to WASM) served on
 * a loopback TCP port by pglite-socket, so Workers reach it exactly as they
 * would reach PostgreSQL or Neon (through scripts/neon-ws-proxy.ts).
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface LocalDatabase {
  url: string;
  close(): Promise<void>;
}

/** Starts PGlite on 127.0.0.1:`port`; `dataDir` persists it, undefined keeps it in memory. */
export async function startPglite(port: number, dataDir?: string): Promise<LocalDatabase> {
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  // PGlite is one session; the socket server queues connections onto it (default limit is 1).
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 256 });
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}
