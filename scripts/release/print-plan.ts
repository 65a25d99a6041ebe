/**
 * The --dry-run view of a rollout: every command and gate in order, with
 * placeholders where a version id is only known once the run is under way.
 * Needs no network and no token.
 */
import { describeCanary } from "./canary.ts";
import { DEFAULT_THRESHOLDS } from "./gates.ts";
import type { RolloutPlan } from "./plan.ts";
import { smokeArgv, smokeUnavailable } from "./smoke.ts";
import { formatArgv } from "./wrangler.ts";

export interface PrintOptions {
  baseUrl: string;
  rounds: number;
  skipSmoke: boolean;
  /** The gateway's script name when the gateway is rolled out (its canary is pinned). */
  gatewayScript?: string;
}

/** Prints the plan to stdout. */
export function printPlan(plan: RolloutPlan, o: PrintOptions): void {
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  const t = DEFAULT_THRESHOLDS;
  const canary = describeCanary({
    baseUrl: o.baseUrl,
    gatewayScript: o.gatewayScript ?? "",
    gateway: o.gatewayScript ? { fresh: "{new:gateway}", old: "{old:gateway}" } : undefined,
    rounds: o.rounds,
  });
  const smokeMissing = o.skipSmoke ? "--skip-smoke" : smokeUnavailable();
  out(`# rollout plan for ${plan.env}: ${plan.workers.map((w) => w.name).join(", ")}`);
  out(`# {old:x} = the version serving 100% of x now; {new:x} = the id printed by its upload`);
  let n = 0;
  for (const step of plan.steps) {
    n++;
    if (step.kind === "inspect") {
      const why = step.what === "status" ? "live version -> {old}; refuse if a split is in progress" : "refuse unless {old} stays within the last 10 versions; skip if already this tag";
      out(`${n}. [${step.worker}] ${formatArgv(step.argv)}\n     # ${why}`);
    } else if (step.kind === "upload") out(`${n}. [${step.worker}] ${formatArgv(step.argv)}\n     # -> {new:${step.worker}}`);
    else if (step.kind === "shift") out(`${n}. [${step.worker}] ${formatArgv(step.argv)}`);
    else if (step.kind === "triggers") out(`${n}. [${step.worker}] ${formatArgv(step.argv)}\n     # routes and queue consumers are not part of a version`);
    else if (step.kind === "wait") out(`${n}. wait ${step.seconds} s at ${step.percent}%`);
    else {
      out(`${n}. gate at ${step.percent}%:`);
      for (const c of canary) out(`     canary: ${c}`);
      out(`     smoke: ${smokeMissing ? `skipped (${smokeMissing})` : `npm ${smokeArgv(o.baseUrl).join(" ")}`}`);
      out(`     pass when, per Worker: >= ${t.minSamples} samples of the new version; error rate <= old + ${t.maxErrorRateIncrease * 100} pp; p95 <= old x${t.maxP95Ratio} (or within ${t.minP95DeltaMs} ms); smoke passes`);
      out(`     on failure: roll back every shifted Worker, gateway first:`);
      for (const w of [...plan.workers].reverse()) out(`       ${formatArgv(plan.rollback(w, "<reason>"))}`);
    }
  }
}
