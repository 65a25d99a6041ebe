/**
 * One scenario under one profile: untimed setup, the open-model run (with
 * resource sampling and, for stress, a stop once a step breaks its SLOs),
 * the scenario's invariant checks, SLO verdicts and the report.
 */
import { SCENARIOS } from "../scenarios/index.ts";
import type { ScenarioEnv, ScenarioOptions } from "../scenarios/types.ts";
import { adminToken, CustomerPool, discoverCatalog, type Catalog } from "./fixtures.ts";
import { findings, stageResults } from "./findings.ts";
import { gcFinding, setGcTrace } from "./gc-window.ts";
import { HttpClient } from "./http.ts";
import { runOpenModel, type Stage } from "./open-model.ts";
import { PROFILES, type ProfileName } from "./profiles.ts";
import { Recorder } from "./recorder.ts";
import { buildReport, writeReport, type RunReport } from "./report.ts";
import { sampleResources } from "./resources.ts";
import { evaluate, gatesFor } from "./slo.ts";
import type { BenchState } from "./target.ts";

export interface RunOptions extends ScenarioOptions {
  scenario: string;
  profile: ProfileName;
  target: string;
  local?: BenchState;
  rate?: number;
  durationS?: number;
  maxInFlight: number;
  outDir: string;
}

/** Builds the ScenarioEnv with lazily prepared, memoised fixtures. */
export function scenarioEnv(http: HttpClient, options: ScenarioOptions, dataSetId = ""): ScenarioEnv {
  let catalog: Promise<Catalog> | undefined;
  let customers: Promise<CustomerPool> | undefined;
  let admin: Promise<string> | undefined;
  return {
    http,
    recorder: new Recorder(),
    options,
    catalog: () => (catalog ??= discoverCatalog(http)),
    customers: () => (customers ??= CustomerPool.create(http, options.customers, dataSetId)),
    adminToken: () => (admin ??= adminToken(http)),
  };
}

/** Runs the scenario; returns the report and where it was written. */
export async function runScenario(o: RunOptions): Promise<{ report: RunReport; files: { json: string; html: string } }> {
  const scenario = SCENARIOS[o.scenario];
  if (!scenario) throw new Error(`unknown scenario ${o.scenario}; one of: ${Object.keys(SCENARIOS).join(", ")}`);
  const profile = PROFILES[o.profile];
  if (!profile) throw new Error(`unknown profile ${o.profile}; one of: ${Object.keys(PROFILES).join(", ")}`);
  const http = new HttpClient(o.target, o.maxInFlight);
  const env = scenarioEnv(http, o, o.local?.seedId);
  const startedAt = new Date();
  try {
    const health = await http.request("GET", "/health");
    if (health.status !== 200) console.warn(`warning: GET /health answered ${health.status}: ${health.text.slice(0, 300)}`);
    console.log(`setting up ${scenario.name} (${scenario.description})...`);
    const journeyFor = await scenario.setup(env);
    const rate = o.rate ?? scenario.baseRate;
    const maxArrivals = scenario.maxArrivals?.(o);
    // A fixed crowd (flash-sale) arrives at `rate` until everyone is in; profiles shape the others.
    const stages: Stage[] = maxArrivals !== undefined ? [{ durationS: maxArrivals / rate + 1, from: rate, to: rate, label: `${rate}/s` }] : profile.stages(rate, o.durationS);
    const gates = gatesFor(scenario.name, profile.name);
    env.recorder = new Recorder();
    const sampler = sampleResources(o.local?.pids ?? {});
    const runStartedAt = Date.now();
    console.log(`running ${scenario.name} / ${profile.name} against ${o.target}: ${stages.map((s) => `${s.durationS}s@${Math.round(s.from * 10) / 10}->${Math.round(s.to * 10) / 10}/s`).join(", ")}`);
    let stressStopAt: number | undefined;
    const { unfinished } = await runOpenModel(http, env.recorder, {
      stages,
      journey: journeyFor,
      maxInFlight: o.maxInFlight,
      maxArrivals,
      graceS: scenario.graceS,
      shouldStop:
        profile.name === "stress"
          ? (t) => {
              if (stressStopAt !== undefined) return t >= stressStopAt;
              if (stageResults(stages, env.recorder, gates, t).some((s) => !s.ok)) stressStopAt = t;
              return false;
            }
          : undefined,
    });
    const resources = sampler.stop();
    setGcTrace(o.local?.gcTrace);
    const gc = gcFinding(runStartedAt, Date.now());
    const elapsed = env.recorder.elapsedS();
    await scenario.verify?.(env);
    if (unfinished > 0) env.recorder.check("every journey finished within the grace period", false, `${unfinished} still running or queued`);
    const stageList = stageResults(stages, env.recorder, gates, elapsed);
    const steadyFrom = stages.length > 1 ? (stages[0]?.durationS ?? 0) : 0;
    const report = buildReport({
      recorder: env.recorder,
      scenario: scenario.name,
      profile: profile.name,
      target: o.target,
      startedAt,
      unfinished,
      slo: evaluate(gates, env.recorder, resources, [steadyFrom, Math.floor(elapsed)]),
      resources,
      stages: stageList,
      findings: [...findings(profile.name, stageList, resources, sampler.cores), ...(gc ? [gc] : [])],
    });
    return { report, files: writeReport(report, o.outDir) };
  } finally {
    http.close();
  }
}
