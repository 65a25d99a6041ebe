/**
 * Local stand-in for Neon's HTTP query endpoint (`POST /sql`), served by the
 * same local proxy as the WebSocket path. The Neon driver's `neon()` function
 * (drizzle's `neon-http`) sends one query, or a batch run as one transaction,
 * per fetch; like Neon's own proxy, this one keeps a pool of Postgres
 * connections, so a query costs a Worker one fetch instead of a WebSocket
 * session (connect, startup, auth, query, terminate).
 *
 * The wire format is what the driver (v1) sends and parses:
 * - request headers `Neon-Connection-String`, `Neon-Array-Mode`,
 *   `Neon-Raw-Text-Output`, and for batches `Neon-Batch-Isolation-Level`,
 *   `Neon-Batch-Read-Only`, `Neon-Batch-Deferrable`;
 * - body `{query, params}` or `{queries: [{query, params}, ...]}`;
 * - answer `{command, rowCount, rows, fields, rowAsArray}` (values as Postgres
 *   text, parsed by the driver from `fields[].dataTypeID`), or `{results: [...]}`;
 * - a Postgres error is 400 with its fields (`code`, `constraint`, ...), which
 *   the driver copies onto the error it throws.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";

interface QueryData {
  query: string;
  params?: unknown[];
}

/** Runs `fn` while the database is this caller's alone (PGlite's single session), or at once. */
export type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

const ERROR_FIELDS = ["severity", "code", "detail", "hint", "position", "internalPosition", "internalQuery", "where", "schema", "table", "column", "dataType", "constraint", "file", "line", "routine"] as const;
const ISOLATION: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};
/** Every value as the text Postgres sent: the driver parses it by type, as Neon's endpoint expects. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/** One pool per connection string, kept for the proxy's life. */
export class SqlOverHttp {
  private readonly pools = new Map<string, pg.Pool>();

  private readonly exclusive: Exclusive;
  private readonly serialised: boolean;

  /** `serialised` (PGlite): one connection, never closed while idle, used under `exclusive`. */
  constructor(exclusive: Exclusive, serialised: boolean) {
    this.exclusive = exclusive;
    this.serialised = serialised;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") return reply(res, 405, { message: "POST only" });
    const connectionString = header(req, "neon-connection-string");
    if (!connectionString) return reply(res, 400, { message: "missing Neon-Connection-String" });
    let body: QueryData | { queries: QueryData[] };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      return reply(res, 400, { message: "body is not JSON" });
    }
    const arrayMode = header(req, "neon-array-mode") === "true";
    try {
      const pool = this.pool(connectionString);
      const answer = await this.exclusive(async () => {
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          if ("queries" in body) return { results: await batch(client, body.queries, req, arrayMode) };
          return await run(client, body, arrayMode);
        } catch (err) {
          // Not a Postgres error: the connection itself failed or timed out, so it must not be reused.
          if (!isPostgresError(err)) broken = err instanceof Error ? err : new Error(String(err));
          throw err;
        } finally {
          client.release(broken);
        }
      });
      reply(res, 200, answer);
    } catch (err) {
      const e = err as Record<string, unknown> & { message?: string };
      // A Postgres error is the client's; anything else means the database is unreachable.
      if (isPostgresError(err)) {
        reply(res, 400, Object.fromEntries([["message", e.message], ...ERROR_FIELDS.map((f) => [f, e[f]])]));
      } else {
        reply(res, 503, { message: `database unreachable: ${e.message ?? String(err)}` });
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end().catch(() => undefined)));
    this.pools.clear();
  }

  private pool(connectionString: string): pg.Pool {
    let pool = this.pools.get(connectionString);
    if (!pool) {
      const shape = this.serialised ? { max: 1, idleTimeoutMillis: 0 } : { max: 8, idleTimeoutMillis: 10_000 };
      // The Workers' own client-side bound (QUERY_TIMEOUT_MS): a stuck query fails instead of holding the connection.
      pool = new pg.Pool({ connectionString, ...shape, connectionTimeoutMillis: 5_000, query_timeout: 15_000 });
      pool.on("error", () => undefined); // an idle connection the server closed: the pool replaces it
      this.pools.set(connectionString, pool);
    }
    return pool;
  }
}

async function run(client: pg.PoolClient, q: QueryData, arrayMode: boolean) {
  const config = { text: q.query, values: q.params ?? [], types: RAW_TEXT };
  const r = arrayMode ? await client.query({ ...config, rowMode: "array" as const }) : await client.query(config);
  return { command: r.command, rowCount: r.rowCount, rows: r.rows, fields: r.fields, rowAsArray: arrayMode };
}

/** A batch is one transaction: all of it or none of it. */
async function batch(client: pg.PoolClient, queries: QueryData[], req: IncomingMessage, arrayMode: boolean) {
  const isolation = ISOLATION[header(req, "neon-batch-isolation-level") ?? "ReadCommitted"] ?? "READ COMMITTED";
  const readOnly = header(req, "neon-batch-read-only") === "true" ? " READ ONLY" : "";
  const deferrable = header(req, "neon-batch-deferrable") === "true" ? " DEFERRABLE" : "";
  await client.query(`BEGIN ISOLATION LEVEL ${isolation}${readOnly}${deferrable}`);
  try {
    const results = [];
    for (const q of queries) results.push(await run(client, q, arrayMode));
    await client.query("COMMIT");
    return results;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** An error Postgres answered (an ErrorResponse with its SQLSTATE), as opposed to a connection failure. */
function isPostgresError(err: unknown): boolean {
  return err instanceof pg.DatabaseError;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
