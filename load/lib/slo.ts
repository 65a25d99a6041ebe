/**
 * SLO gates from load/slo.json: thresholds per profile, tightened per
 * scenario, evaluated against a finished run. Each verdict names its gate,
 * threshold and measured value, so a failing run says exactly what broke.
 */
import { readFileSync } from "node:fs";
import type { Recorder } from "./recorder.ts";
import type { ResourceSample } from "./resources.ts";

export interface Gates {
  p95Ms?: number;
  p99Ms?: number;
  stepP95Ms?: Record<string, number>;
  stepP99Ms?: Record<string, number>;
  errorRate?: number;
  max5xx?: number;
  checkoutSuccess?: number;
  invariants?: boolean;
  p99DriftPct?: number;
  memoryGrowthPct?: number;
}

export interface Verdict {
  slo: string;
  threshold: string;
  actual: string;
  ok: boolean;
}

interface SloFile {
  profiles: Record<string, Gates>;
  overrides?: Record<string, Record<string, Gates>>;
}

/** The gates for `scenario` under `profile` (profile defaults, then the scenario's overrides). */
export function gatesFor(scenario: string, profile: string, file = new URL("../slo.json", import.meta.url)): Gates {
  const config = JSON.parse(readFileSync(file, "utf8")) as SloFile;
  return { ...config.profiles[profile], ...config.overrides?.[scenario]?.[profile] };
}

const fmt = (n: number, unit = ""): string => `${Math.round(n * 100) / 100}${unit}`;

/** p99 of the first and last fifth of the steady part of a run, as a drift in percent. */
export function p99Drift(recorder: Recorder, fromS: number, toS: number): number {
  const span = Math.max(1, Math.floor((toS - fromS) / 5));
  const first = recorder.window(fromS, fromS + span).hist.quantile(0.99);
  const last = recorder.window(toS - span, toS).hist.quantile(0.99);
  return first > 0 ? ((last - first) / first) * 100 : 0;
}

/** Growth of workerd's RSS between the first and last fifth of the samples, in percent. */
export function memoryGrowth(samples: ResourceSample[], key = "workerd"): number {
  const values = samples.map((s) => s.rssMb[key]).filter((v): v is number => v !== undefined);
  if (values.length < 10) return 0;
  const fifth = Math.floor(values.length / 5);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = avg(values.slice(0, fifth));
  return first > 0 ? ((avg(values.slice(-fifth)) - first) / first) * 100 : 0;
}

/** Evaluates every gate that is set; `steady` is the [from, to) window in seconds used for drift. */
export function evaluate(gates: Gates, recorder: Recorder, samples: ResourceSample[], steady: [number, number]): Verdict[] {
  const out: Verdict[] = [];
  const all = recorder.overall((n) => !n.startsWith("("));
  const totals = recorder.totals();
  const max = (slo: string, limit: number | undefined, actual: number, unit = "") => {
    if (limit !== undefined) out.push({ slo, threshold: `<= ${fmt(limit, unit)}`, actual: fmt(actual, unit), ok: actual <= limit });
  };
  max("p95 latency (all requests)", gates.p95Ms, all.quantile(0.95), " ms");
  max("p99 latency (all requests)", gates.p99Ms, all.quantile(0.99), " ms");
  for (const [step, limit] of Object.entries(gates.stepP95Ms ?? {})) max(`p95 latency of ${step}`, limit, recorder.overall((n) => n === step).quantile(0.95), " ms");
  for (const [step, limit] of Object.entries(gates.stepP99Ms ?? {})) max(`p99 latency of ${step}`, limit, recorder.overall((n) => n === step).quantile(0.99), " ms");
  max("error rate (unexpected outcomes)", gates.errorRate, totals.requests ? totals.errors / totals.requests : 0);
  max("5xx responses", gates.max5xx, totals.fiveXx);
  if (gates.checkoutSuccess !== undefined) {
    const outcomes = Object.entries(recorder.outcomes("checkout"));
    const attempts = outcomes.reduce((a, [, c]) => a + c, 0);
    const paid = outcomes.filter(([o]) => o === "201").reduce((a, [, c]) => a + c, 0);
    if (attempts > 0) out.push({ slo: "checkout success", threshold: `>= ${gates.checkoutSuccess}`, actual: fmt(paid / attempts), ok: paid / attempts >= gates.checkoutSuccess });
  }
  if (gates.invariants) {
    for (const c of recorder.checks) out.push({ slo: `invariant: ${c.name}`, threshold: "holds", actual: c.detail, ok: c.ok });
    const journeyErrors = [...recorder.counters.keys()].filter((k) => k.startsWith("journey error"));
    out.push({ slo: "no journey crashed", threshold: "0", actual: journeyErrors.join("; ") || "0", ok: journeyErrors.length === 0 });
  }
  max("p99 drift first -> last fifth", gates.p99DriftPct, p99Drift(recorder, steady[0], steady[1]), " %");
  max("workerd memory growth", gates.memoryGrowthPct, memoryGrowth(samples), " %");
  return out;
}
