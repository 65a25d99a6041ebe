/**
 * What the rehearsal checks besides the load kit's own invariants:
 * - version affinity: clients pinned with `Cloudflare-Workers-Version-Key`
 *   see one version per deployment stage, and only move towards the version
 *   whose share grows; a `Cloudflare-Workers-Version-Overrides` request gets
 *   the version it names while that version is deployed;
 * - orders: every checkout answered 201 `paid` is a paid order in Postgres,
 *   there is no paid order nobody was answered for, and no order has two
 *   captured payments.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { orders } from "../../../shared/db/schema/orders.ts";
import { payments } from "../../../shared/db/schema/payments.ts";
import { withDb } from "../../db.ts";
import type { Side } from "./stack.ts";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

interface Sample {
  client: number;
  stage: string;
  version: string;
  status: number;
}

/** Pinned clients polling a cheap route; `stage` is set by the controller once a deployment is in place. */
export class AffinityProbe {
  stage: string | undefined;
  private samples: Sample[] = [];
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;

  private readonly base: string;
  private readonly clients: number;
  private readonly intervalMs: number;

  constructor(base: string, clients = 16, intervalMs = 400) {
    this.base = base;
    this.clients = clients;
    this.intervalMs = intervalMs;
  }

  start(): void {
    this.timer = setInterval(() => {
      const stage = this.stage;
      if (stage === undefined) return;
      for (let client = 0; client < this.clients; client++) {
        fetch(`${this.base}/v1/categories`, { headers: { "cloudflare-workers-version-key": `rehearsal-client-${client}` }, signal: AbortSignal.timeout(10_000) }).then(
          async (res) => {
            await res.arrayBuffer();
            // A stage that ended while this request was in flight is not judged by it.
            if (this.stage === stage) this.samples.push({ client, stage, version: res.headers.get("x-edgeshop-version") ?? "", status: res.status });
          },
          () => this.failures++,
        );
      }
    }, this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One version per client per stage; between rising stages a client only moves old -> new. */
  checks(stages: { label: string; percentNew: number }[], versions: Record<Side, string>): Check[] {
    const out: Check[] = [];
    const failed = this.samples.filter((s) => s.status !== 200).length + this.failures;
    out.push({ name: "pinned clients: every request answered 200", ok: failed === 0, detail: `${this.samples.length} requests, ${failed} failed` });
    const mixed: string[] = [];
    const backwards: string[] = [];
    const previous = new Map<number, string>();
    let previousShare = 0;
    for (const stage of stages) {
      const seen = new Map<number, Set<string>>();
      for (const s of this.samples.filter((x) => x.stage === stage.label)) (seen.get(s.client) ?? seen.set(s.client, new Set()).get(s.client)!).add(s.version);
      for (const [client, vs] of seen) {
        if (vs.size > 1) mixed.push(`client ${client} in ${stage.label}: ${[...vs].join(", ")}`);
        const now = [...vs][0]!;
        const before = previous.get(client);
        const growing = stage.percentNew >= previousShare;
        if (before && before !== now && (growing ? now !== versions.new : now !== versions.old)) backwards.push(`client ${client} ${before} -> ${now} at ${stage.label}`);
        previous.set(client, now);
      }
      previousShare = stage.percentNew;
    }
    out.push({ name: "pinned clients keep one version within a stage", ok: mixed.length === 0, detail: mixed.slice(0, 5).join("; ") || `${this.clients} clients x ${stages.length} stages` });
    out.push({ name: "pinned clients move only towards the growing version", ok: backwards.length === 0, detail: backwards.slice(0, 5).join("; ") || "no pinned client moved back" });
    return out;
  }
}

/** A request forced to each deployed version with Cloudflare-Workers-Version-Overrides answers from that version. */
export async function overrideChecks(base: string, percentNew: number, versions: Record<Side, string>, label: string): Promise<Check[]> {
  const deployed = (["old", "new"] as const).filter((v) => (v === "new" ? percentNew > 0 : percentNew < 100));
  const out: Check[] = [];
  for (const side of deployed) {
    const res = await fetch(`${base}/v1/categories`, { headers: { "cloudflare-workers-version-overrides": `edgeshop-gateway="${versions[side]}"` } });
    await res.arrayBuffer();
    const got = res.headers.get("x-edgeshop-version");
    out.push({ name: `${label}: override to the ${side} version`, ok: res.status === 200 && got === versions[side], detail: `status ${res.status}, served by ${got}` });
  }
  return out;
}

/** Every acknowledged order is paid in Postgres (waiting up to `waitMs` for outboxes), none is extra, none charged twice. */
export async function orderChecks(databaseUrl: string, proxy: string, acknowledged: string[], waitMs = 30_000): Promise<Check[]> {
  const ids = [...new Set(acknowledged)];
  return withDb(databaseUrl, proxy, async (db) => {
    const deadline = Date.now() + waitMs;
    let found = new Set<string>();
    for (;;) {
      found = new Set<string>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await db.select({ id: orders.id }).from(orders).where(and(inArray(orders.id, ids.slice(i, i + 500)), eq(orders.status, "paid")));
        for (const r of rows) found.add(r.id);
      }
      if (found.size === ids.length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const lost = ids.filter((id) => !found.has(id));
    const [paid] = await db.select({ n: sql<number>`count(*)::int` }).from(orders).where(eq(orders.status, "paid"));
    const doubles = await db
      .select({ orderId: payments.orderId })
      .from(payments)
      .where(eq(payments.status, "captured"))
      .groupBy(payments.orderId)
      .having(sql`count(*) > 1`);
    return [
      { name: "checkouts acknowledged: unique order ids", ok: ids.length === acknowledged.length, detail: `${acknowledged.length} acknowledged, ${ids.length} distinct` },
      { name: "no acknowledged order lost (paid in Postgres)", ok: lost.length === 0, detail: lost.length ? `${lost.length} missing, e.g. ${lost.slice(0, 3).join(", ")}` : `${found.size}/${ids.length} found` },
      { name: "no duplicated or unacknowledged paid order", ok: (paid?.n ?? 0) === ids.length, detail: `${paid?.n ?? 0} paid orders in Postgres for ${ids.length} acknowledged` },
      { name: "no order captured twice", ok: doubles.length === 0, detail: doubles.length ? doubles.slice(0, 3).map((d) => d.orderId).join(", ") : "one captured payment per order at most" },
    ];
  });
}
