/**
 * Attributes canary answers to versions. The gateway says which version
 * answered in `x-edgeshop-version`; `/health` reports every domain Worker's
 * version in `versions`. Domain Workers are reached over RPC, where
 * Cloudflare does not apply version overrides, so their canary is the unpinned
 * `/health` traffic that the split happened to route to each version.
 */
import type { Sample } from "./gates.ts";

export interface CanaryRecord {
  path: string;
  status: number;
  ms: number;
  /** x-edgeshop-version of the answer, when there was one. */
  gatewayVersion?: string;
  /** /health `versions` and `services` maps, when the body had them. */
  serviceVersions?: Record<string, string>;
  serviceStatus?: Record<string, string>;
}

export interface Attributed {
  fresh: Sample[];
  old: Sample[];
  /** Answers that reached neither version knowingly (transport errors, "unknown" versions). */
  unattributed: Sample[];
}

/** The `Cloudflare-Workers-Version-Overrides` value that pins `script` to `versionId`. */
export function overrideHeader(script: string, versionId: string): string {
  return `${script}="${versionId}"`;
}

/** Splits canary records of one Worker into new / old / unattributed samples. */
export function attribute(records: CanaryRecord[], worker: string, newId: string, oldId: string): Attributed {
  const out: Attributed = { fresh: [], old: [], unattributed: [] };
  for (const r of records) {
    let version: string | undefined;
    let status = r.status;
    if (worker === "gateway") {
      version = r.gatewayVersion;
      // a 503 /health is the gateway reporting a dependency, judged under that dependency
      if (r.path === "/health" && r.status === 503) status = 200;
    } else {
      if (!r.serviceVersions) continue; // not a /health answer: says nothing about this service
      version = r.serviceVersions[worker];
      const reported = r.serviceStatus?.[worker];
      // a gateway that does not report this Worker at all (one released before it did) says nothing about it
      if (version === undefined && reported === undefined) continue;
      // /health is 503 when any dependency is down; judge this service by its own entry. A Worker
      // reported in `versions` only (events) is up when it answered with its version.
      status = reported === undefined ? (version !== "unknown" ? 200 : 503) : reported === "ok" ? 200 : 503;
    }
    const sample = { status, ms: r.ms };
    if (version === newId) out.fresh.push(sample);
    else if (version === oldId) out.old.push(sample);
    else if (status === 0 || status >= 500) out.unattributed.push(sample);
  }
  return out;
}

/** Reads the parts of a /health body the attribution needs, ignoring anything else. */
export function healthMaps(body: unknown): Pick<CanaryRecord, "serviceVersions" | "serviceStatus"> {
  if (typeof body !== "object" || body === null) return {};
  const b = body as { versions?: unknown; services?: unknown };
  const asMap = (v: unknown): Record<string, string> | undefined =>
    typeof v === "object" && v !== null ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string")) : undefined;
  return { serviceVersions: asMap(b.versions), serviceStatus: asMap(b.services) };
}
