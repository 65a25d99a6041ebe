/**
 * Health gates of a rollout stage: the new version's canary requests are
 * compared with the old version's, measured the same way at the same time, so
 * a slow region or a busy database moves both sides and does not fail a stage.
 */

/** One canary request: status (0 when the request failed outright) and latency. */
export interface Sample {
  status: number;
  ms: number;
}

export interface SampleStats {
  count: number;
  errors: number;
  errorRate: number;
  p95: number;
}

export interface GateThresholds {
  /** Largest allowed rise of the error rate over the old version (0.01 = one percentage point). */
  maxErrorRateIncrease: number;
  /** Above this error rate the new version fails unless it is strictly better than the old one. */
  maxErrorRate: number;
  /** Largest allowed p95 ratio new/old ... */
  maxP95Ratio: number;
  /** ... unless the p95 difference is below this many ms (noise at small latencies). */
  minP95DeltaMs: number;
  /** Fewer canary answers than this from a version is a failure: no evidence is not a pass. */
  minSamples: number;
}

export const DEFAULT_THRESHOLDS: GateThresholds = { maxErrorRateIncrease: 0.01, maxErrorRate: 0.05, maxP95Ratio: 1.5, minP95DeltaMs: 50, minSamples: 10 };

/** Result of the load kit's smoke run: skipped when the kit offers no `--target` run. */
export type SmokeResult = { kind: "passed" } | { kind: "failed"; detail: string } | { kind: "skipped"; note: string };

export interface GateVerdict {
  pass: boolean;
  /** One line per check, prefixed with ok / FAIL / skip, for the progress log. */
  lines: string[];
  /** The failed checks only: what the automatic rollback reports as its reason. */
  failures: string[];
}

/** A 5xx or a transport failure counts as an error; 4xx are the client's business. */
export function isError(sample: Sample): boolean {
  return sample.status === 0 || sample.status >= 500;
}

/** Nearest-rank percentile (p in 0..100) of a list of numbers; 0 for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Count, errors, error rate and p95 of a set of samples. */
export function summarise(samples: Sample[]): SampleStats {
  const errors = samples.filter(isError).length;
  return { count: samples.length, errors, errorRate: samples.length === 0 ? 0 : errors / samples.length, p95: percentile(samples.map((s) => s.ms), 95) };
}

const pct = (r: number): string => `${(r * 100).toFixed(1)}%`;

/**
 * Compares the new version's canary stats with the old one's, plus the smoke
 * run when given (a stage judges the smoke once, not per Worker).
 */
export function evaluateGates(fresh: SampleStats, old: SampleStats, smoke?: SmokeResult, t: GateThresholds = DEFAULT_THRESHOLDS): GateVerdict {
  const lines: string[] = [];
  const failures: string[] = [];
  const check = (ok: boolean, text: string): void => {
    lines.push(`${ok ? "ok  " : "FAIL"} ${text}`);
    if (!ok) failures.push(text);
  };

  check(fresh.count >= t.minSamples, `samples: ${fresh.count} from the new version, ${old.count} from the old (need >= ${t.minSamples})`);
  const allowed = old.errorRate + t.maxErrorRateIncrease;
  check(fresh.errorRate <= allowed, `error rate: new ${pct(fresh.errorRate)} (${fresh.errors}/${fresh.count}) vs old ${pct(old.errorRate)}, allowed <= ${pct(allowed)}`);
  // as broken as the old one is not a pass: only a strict improvement may stay above the ceiling
  if (fresh.errorRate > t.maxErrorRate && fresh.errorRate <= allowed) {
    check(fresh.errorRate < old.errorRate, `error rate: new ${pct(fresh.errorRate)} is above ${pct(t.maxErrorRate)} and no better than old ${pct(old.errorRate)}`);
  }
  const slower = fresh.p95 > old.p95 * t.maxP95Ratio && fresh.p95 - old.p95 > t.minP95DeltaMs;
  check(!slower, `p95: new ${fresh.p95} ms vs old ${old.p95} ms (allowed x${t.maxP95Ratio} or +${t.minP95DeltaMs} ms)`);
  if (smoke?.kind === "skipped") lines.push(`skip smoke: ${smoke.note}`);
  else if (smoke) check(smoke.kind === "passed", `smoke: ${smoke.kind === "failed" ? smoke.detail : "passed"}`);

  return { pass: failures.length === 0, lines, failures };
}
