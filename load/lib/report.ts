/**
 * The run summary: one JSON document per run (machine-readable, diffable)
 * and the self-contained HTML report rendered from it, both written to
 * load/reports/<timestamp>-<scenario>-<profile>.{json,html}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import type { Summary } from "./histogram.ts";
import type { Check, Recorder, StepStats, TimelinePoint } from "./recorder.ts";
import type { ResourceSample } from "./resources.ts";
import type { Verdict } from "./slo.ts";
import { renderHtml } from "./report-html.ts";

export interface StageResult {
  label: string;
  rate: number;
  fromS: number;
  toS: number;
  rps: number;
  errorRate: number;
  p95: number;
  p99: number;
  ok: boolean;
}

export interface RunReport {
  meta: { scenario: string; profile: string; target: string; startedAt: string; durationS: number; node: string; cpus: string; cores: number; memoryGb: number; loadAvg: number[]; command: string };
  totals: { requests: number; errors: number; fiveXx: number; rps: number; journeysStarted: number; journeysCompleted: number; journeysFailed: number; dropped: number; unfinished: number; latency: Summary };
  steps: StepStats[];
  timeline: TimelinePoint[];
  errorsByCode: Record<string, number>;
  errorSamples: Record<string, string[]>;
  counters: Record<string, number>;
  paidOrderIds: string[];
  checks: Check[];
  slo: Verdict[];
  passed: boolean;
  resources: ResourceSample[];
  stages?: StageResult[];
  findings: string[];
}

/** Builds the report object from a finished run. */
export function buildReport(input: { recorder: Recorder; scenario: string; profile: string; target: string; startedAt: Date; unfinished: number; slo: Verdict[]; resources: ResourceSample[]; stages?: StageResult[]; findings: string[] }): RunReport {
  const r = input.recorder;
  const durationS = Math.round(r.elapsedS() * 10) / 10;
  const totals = r.totals();
  const cpu = cpus();
  return {
    meta: {
      scenario: input.scenario,
      profile: input.profile,
      target: input.target,
      startedAt: input.startedAt.toISOString(),
      durationS,
      node: process.version,
      cpus: cpu[0]?.model ?? "unknown",
      cores: cpu.length,
      memoryGb: Math.round(totalmem() / 1e9),
      // Other work on the machine skews every figure; the report says how busy it was.
      loadAvg: loadavg().map((l) => Math.round(l * 100) / 100),
      command: `npm run load -- ${process.argv.slice(2).join(" ")}`,
    },
    totals: {
      ...totals,
      rps: Math.round((totals.requests / Math.max(durationS, 0.001)) * 10) / 10,
      journeysStarted: r.journeysStarted,
      journeysCompleted: r.journeysCompleted,
      journeysFailed: r.journeysFailed,
      dropped: r.dropped,
      unfinished: input.unfinished,
      latency: r.overall((n) => !n.startsWith("(")).summary(),
    },
    steps: r.stepStats(durationS),
    timeline: r.timeline(),
    errorsByCode: Object.fromEntries(r.errorsByCode),
    errorSamples: Object.fromEntries(r.errorSamples),
    counters: Object.fromEntries(r.counters),
    paidOrderIds: r.paidOrderIds,
    checks: r.checks,
    slo: input.slo,
    passed: input.slo.every((v) => v.ok),
    resources: input.resources,
    stages: input.stages,
    findings: input.findings,
  };
}

/** Writes `<dir>/<stamp>-<scenario>-<profile>.json` and `.html`; returns both paths. */
export function writeReport(report: RunReport, dir = "load/reports"): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = report.meta.startedAt.replace(/[:.]/g, "-").slice(0, 19);
  const base = join(dir, `${stamp}-${report.meta.scenario}-${report.meta.profile}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2));
  writeFileSync(`${base}.html`, renderHtml(report));
  return { json: `${base}.json`, html: `${base}.html` };
}
