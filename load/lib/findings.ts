/**
 * Stage verdicts and what they mean: per-stage throughput and latency
 * against the profile's gates, the stress breaking point, and the first
 * resource to saturate at it.
 */
import type { Stage } from "./open-model.ts";
import type { Recorder } from "./recorder.ts";
import type { StageResult } from "./report.ts";
import type { ResourceSample } from "./resources.ts";
import type { Gates } from "./slo.ts";

/** Capacity of each sampled process group in percent of one core. */
function capacity(group: string, cores: number): number {
  return group === "postgres" || group === "other" ? cores * 100 : 100;
}

/** Average machine-wide CPU use (ours + other processes) in percent of all cores. */
function machineBusy(samples: ResourceSample[], fromS: number, toS: number, cores: number): { busy: number; other: number } {
  const w = samples.filter((s) => s.t >= fromS && s.t <= toS);
  if (w.length === 0) return { busy: 0, other: 0 };
  const sum = (f: (s: ResourceSample) => number) => w.reduce((a, s) => a + f(s), 0) / w.length / cores;
  return { busy: Math.round(sum((s) => Object.values(s.cpu).reduce((a, b) => a + b, 0))), other: Math.round(sum((s) => s.cpu.other ?? 0)) };
}

/** Per-stage results; the first 2 s of each stage are left out so a step is judged at its steady state. */
export function stageResults(stages: Stage[], recorder: Recorder, gates: Gates, untilS = Number.POSITIVE_INFINITY): StageResult[] {
  const out: StageResult[] = [];
  let start = 0;
  for (const s of stages) {
    const end = start + s.durationS;
    if (end > untilS + 0.5) break;
    const from = Math.min(start + 2, end - 1);
    const w = recorder.window(from, end);
    const errorRate = w.requests ? w.errors / w.requests : 0;
    const p95 = Math.round(w.hist.quantile(0.95) * 10) / 10;
    const p99 = Math.round(w.hist.quantile(0.99) * 10) / 10;
    const ok = (gates.p95Ms === undefined || p95 <= gates.p95Ms) && (gates.p99Ms === undefined || p99 <= gates.p99Ms) && errorRate <= (gates.errorRate ?? 1);
    out.push({ label: s.label ?? `${s.to}/s`, rate: Math.round(s.to * 10) / 10, fromS: start, toS: end, rps: Math.round((w.requests / Math.max(1, end - from)) * 10) / 10, errorRate: Math.round(errorRate * 10000) / 10000, p95, p99, ok });
    start = end;
  }
  return out;
}

/** The busiest process group (relative to its capacity) between fromS and toS. */
export function saturation(samples: ResourceSample[], fromS: number, toS: number, cores: number): { group: string; pct: number } | undefined {
  const inWindow = samples.filter((s) => s.t >= fromS && s.t <= toS);
  if (inWindow.length === 0) return undefined;
  const sums = new Map<string, number>();
  for (const s of inWindow) for (const [g, v] of Object.entries(s.cpu)) sums.set(g, (sums.get(g) ?? 0) + v);
  let best: { group: string; pct: number } | undefined;
  for (const [g, sum] of sums) {
    if (g === "other") continue;
    const pct = Math.round(sum / inWindow.length / (capacity(g, cores) / 100));
    if (!best || pct > best.pct) best = { group: g, pct };
  }
  return best;
}

/** Human-readable findings for the report: breaking point and bottleneck (stress), or the busiest resource. */
export function findings(profile: string, stages: StageResult[], samples: ResourceSample[], cores: number): string[] {
  const out: string[] = [];
  const firstBad = stages.findIndex((s) => !s.ok);
  if (profile === "stress") {
    if (firstBad < 0) out.push(`No breaking point within the profile: every step up to ${stages.at(-1)?.rate ?? 0} journeys/s stayed within its SLOs.`);
    else {
      const good = stages[firstBad - 1];
      const bad = stages[firstBad] as StageResult;
      out.push(
        good
          ? `Breaking point: ${good.rate} journeys/s (${good.rps} req/s) was the last step within SLOs; at ${bad.rate} journeys/s p95 was ${bad.p95} ms, error rate ${bad.errorRate}.`
          : `Breaking point below the first step: at ${bad.rate} journeys/s p95 was ${bad.p95} ms, error rate ${bad.errorRate}.`,
      );
      const sat = saturation(samples, bad.fromS, bad.toS, cores);
      const m = machineBusy(samples, bad.fromS, bad.toS, cores);
      if (m.busy >= 90) {
        out.push(`First resource to saturate: the machine's CPUs (${m.busy}% of all cores busy, ${m.other}% by processes outside this test; busiest of ours: ${sat?.group ?? "?"} at ${sat?.pct ?? 0}% of its capacity).`);
      }
      if (sat && m.busy < 90) {
        out.push(
          sat.pct >= 85
            ? `First resource to saturate: ${sat.group} at ${sat.pct}% of its capacity (${sat.group === "postgres" ? "all cores" : "one core"}) during the breaking step.`
            : `No process was CPU-saturated at the breaking step (busiest: ${sat.group} at ${sat.pct}%): the limit is serialised or latency-bound work (one hot Durable Object, a lock, or connection setup to a dependency).`,
        );
      }
    }
  } else {
    const sat = saturation(samples, 0, Number.POSITIVE_INFINITY, cores);
    if (sat) out.push(`Busiest process over the run: ${sat.group} at ${sat.pct}% of its capacity on average.`);
    const m = machineBusy(samples, 0, Number.POSITIVE_INFINITY, cores);
    if (m.other >= 25) out.push(`Other processes used ${m.other}% of the machine's CPU during the run (machine ${m.busy}% busy): figures are skewed by them.`);
  }
  return out;
}
