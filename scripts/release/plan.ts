/**
 * The rollout as data: every command and gate in order, with `{new:x}` /
 * `{old:x}` placeholders for version ids learnt while it runs. `--dry-run`
 * prints this plan; the real run executes the same steps, so what is printed
 * is what runs.
 */
import type { WorkerInfo } from "../workers.ts";
import type { DeployEnvironment } from "./environments.ts";
import { deploymentStatusCmd, splitCmd, triggersCmd, uploadCmd, versionsListCmd, type Argv } from "./wrangler.ts";

export type Step =
  | { kind: "inspect"; worker: string; what: "status" | "versions"; argv: Argv }
  | { kind: "upload"; worker: string; argv: Argv }
  | { kind: "shift"; worker: string; percent: number; argv: Argv }
  | { kind: "wait"; seconds: number; percent: number }
  | { kind: "gate"; percent: number }
  | { kind: "triggers"; worker: string; argv: Argv };

export interface RolloutPlan {
  env: DeployEnvironment;
  workers: WorkerInfo[];
  steps: Step[];
  /** Run on a failed gate, for the workers whose traffic already moved: back to the old version at 100%. */
  rollback: (worker: WorkerInfo, reason: string) => Argv;
}

export interface PlanOptions {
  env: DeployEnvironment;
  /** Changed Workers, in dependency order (gateway last). */
  workers: WorkerInfo[];
  stages: number[];
  waitSeconds: number;
  tag: string;
  message: string;
}

/**
 * Builds the plan: inspect every Worker, upload every new version, then per
 * stage move every Worker to p% in dependency order (services before the
 * gateway that calls them), wait, and check the gates; at 100%, apply the
 * config's triggers (routes, queue consumers), which versions do not carry.
 */
export function buildRolloutPlan(o: PlanOptions): RolloutPlan {
  const steps: Step[] = [];
  for (const w of o.workers) {
    steps.push({ kind: "inspect", worker: w.name, what: "status", argv: deploymentStatusCmd(w, o.env) });
    steps.push({ kind: "inspect", worker: w.name, what: "versions", argv: versionsListCmd(w, o.env) });
  }
  for (const w of o.workers) steps.push({ kind: "upload", worker: w.name, argv: uploadCmd(w, o.env, o.tag, o.message) });
  for (const percent of o.stages) {
    for (const w of o.workers) {
      const note = `rollout ${o.tag}: ${percent}%`;
      steps.push({ kind: "shift", worker: w.name, percent, argv: splitCmd(w, o.env, `{new:${w.name}}`, `{old:${w.name}}`, percent, note) });
    }
    if (o.waitSeconds > 0) steps.push({ kind: "wait", seconds: o.waitSeconds, percent });
    steps.push({ kind: "gate", percent });
  }
  for (const w of o.workers) steps.push({ kind: "triggers", worker: w.name, argv: triggersCmd(w, o.env) });
  const rollback = (w: WorkerInfo, reason: string): Argv =>
    splitCmd(w, o.env, `{old:${w.name}}`, `{old:${w.name}}`, 100, `rollback of ${o.tag}: ${reason}`.slice(0, 100));
  return { env: o.env, workers: o.workers, steps, rollback };
}

/** Workers to roll back after a failure: those shifted so far, gateway first (reverse dependency order). */
export function rollbackOrder(plan: RolloutPlan, shifted: ReadonlySet<string>): WorkerInfo[] {
  return [...plan.workers].reverse().filter((w) => shifted.has(w.name));
}
