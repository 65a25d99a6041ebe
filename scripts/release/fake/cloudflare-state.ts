/**
 * A stand-in for Cloudflare's versions and deployments, kept in one JSON
 * file, for rehearsing the rollout offline: fake wrangler writes it, the fake
 * gateway routes by it.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export interface FakeVersion {
  id: string;
  tag?: string;
  created_on: string;
  /** A broken build: the fake gateway fails for it. */
  bad?: boolean;
}

export interface FakeDeployment {
  created_on: string;
  versions: { version_id: string; percentage: number }[];
}

export interface FakeWorker {
  versions: FakeVersion[];
  deployments: FakeDeployment[];
}

export type FakeState = Record<string, FakeWorker>;

/** Reads the state file (empty when missing). */
export function readState(path: string): FakeState {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as FakeState) : {};
}

/** Writes the state file. */
export function writeState(path: string, state: FakeState): void {
  writeFileSync(path, JSON.stringify(state, null, 2));
}

let clock = Date.parse("2026-11-01T00:00:00Z");
/** Strictly increasing timestamps, so ordering by created_on is deterministic. */
export function tick(state: FakeState): string {
  const latest = Object.values(state).flatMap((w) => [...w.versions.map((v) => v.created_on), ...w.deployments.map((d) => d.created_on)]).sort().at(-1);
  clock = Math.max(clock, latest ? Date.parse(latest) : 0) + 1000;
  return new Date(clock).toISOString();
}

/** Picks a version of a deployment by its percentages. */
export function pickVersion(d: FakeDeployment | undefined, random = Math.random()): string | undefined {
  if (!d) return undefined;
  let acc = 0;
  for (const v of d.versions) {
    acc += v.percentage / 100;
    if (random < acc) return v.version_id;
  }
  return d.versions.at(-1)?.version_id;
}
