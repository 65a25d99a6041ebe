import { WorkerEntrypoint } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { createDb, type Database, type DatabaseEnv } from "./db/client.ts";

export interface VersionEnv {
  CF_VERSION_METADATA: WorkerVersionMetadata;
}

/** What every domain Worker answers to the gateway's `/health`. */
export interface ServiceHealth {
  status: "ok" | "down";
  version: string;
}

/**
 * Base class of every domain Worker's RPC surface: a per-call database
 * (`this.db()`), the health probe the gateway aggregates, and a `fetch`
 * that answers health only (the gateway is the only HTTP surface).
 */
export abstract class DomainService<E extends DatabaseEnv & VersionEnv> extends WorkerEntrypoint<E> {
  protected db(): Database {
    return createDb(this.env, this.ctx);
  }

  async health(): Promise<ServiceHealth> {
    return { status: "ok", version: this.env.CF_VERSION_METADATA.id };
  }

  /** `select 1` against Postgres; the gateway reports it as `database`. */
  async databaseHealth(): Promise<ServiceHealth> {
    try {
      await this.db().execute(sql`select 1`);
      return { status: "ok", version: this.env.CF_VERSION_METADATA.id };
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "database health check failed", error: String(err) }));
      return { status: "down", version: this.env.CF_VERSION_METADATA.id };
    }
  }

  override async fetch(): Promise<Response> {
    return Response.json(await this.health());
  }
}
