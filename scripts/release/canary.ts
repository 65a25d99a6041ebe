/**
 * Canary requests of a rollout stage against the public gateway. The gateway
 * is pinned to each side with `Cloudflare-Workers-Version-Overrides` (applied
 * only to versions in the current deployment); domain Workers cannot be pinned
 * over RPC, so unpinned `/health` calls sample whichever version the split
 * routes them to, and `/health` says which one that was.
 */
import { healthMaps, overrideHeader, type CanaryRecord } from "./attribution.ts";

export interface CanaryOptions {
  baseUrl: string;
  gatewayScript: string;
  /** Set when the gateway itself is being rolled out: pin requests to each side. */
  gateway?: { fresh: string; old: string };
  rounds: number;
}

const PINNED_PATHS = ["/health", "/v1/products?limit=5", "/v1/categories"];
const TIMEOUT_MS = 10_000;
// At a 10% stage, 8 unpinned calls per round give a domain Worker ~0.8 samples of its new version per round.
const UNPINNED_PER_ROUND = 8;

async function probe(url: string, headers: Record<string, string>): Promise<CanaryRecord> {
  const path = new URL(url).pathname;
  const t0 = performance.now();
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text();
    const ms = Math.round(performance.now() - t0);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const maps = path === "/health" ? healthMaps(body) : {};
    return { path, status: res.status, ms, gatewayVersion: res.headers.get("x-edgeshop-version") ?? undefined, ...maps };
  } catch {
    return { path, status: 0, ms: Math.round(performance.now() - t0) };
  }
}

/** What one stage's canary sends, for --dry-run and the progress log. */
export function describeCanary(o: CanaryOptions): string[] {
  const lines = [`${o.rounds * UNPINNED_PER_ROUND} x GET ${o.baseUrl}/health unpinned (domain Workers attributed by /health "versions")`];
  if (o.gateway) {
    for (const side of ["new", "old"] as const) {
      const id = side === "new" ? o.gateway.fresh : o.gateway.old;
      lines.push(`${o.rounds} x GET ${PINNED_PATHS.join(", ")} with Cloudflare-Workers-Version-Overrides: ${overrideHeader(o.gatewayScript, id)} (${side})`);
    }
  }
  return lines;
}

/** Sends one stage's canary requests, a few at a time, and returns every answer. */
export async function runCanary(o: CanaryOptions): Promise<CanaryRecord[]> {
  const records: CanaryRecord[] = [];
  for (let round = 0; round < o.rounds; round++) {
    const batch: Promise<CanaryRecord>[] = Array.from({ length: UNPINNED_PER_ROUND }, () => probe(`${o.baseUrl}/health`, {}));
    if (o.gateway) {
      for (const id of [o.gateway.fresh, o.gateway.old]) {
        const pin = { "cloudflare-workers-version-overrides": overrideHeader(o.gatewayScript, id) };
        for (const p of PINNED_PATHS) batch.push(probe(`${o.baseUrl}${p}`, pin));
      }
    }
    records.push(...(await Promise.all(batch)));
  }
  return records;
}
