/**
 * Executes a rollout plan against Cloudflare: learns the live version of each
 * Worker, refuses when it could not be rolled back to, uploads, shifts traffic
 * stage by stage and rolls everything back when a gate fails.
 */
import type { WorkerInfo } from "../workers.ts";
import { scriptName } from "./environments.ts";
import { run, runJson, runOrThrow, say, sleep } from "./exec.ts";
import type { SampleStats } from "./gates.ts";
import { rollbackOrder, type RolloutPlan } from "./plan.ts";
import { checkStage } from "./stage-gate.ts";
import { inRollbackWindow, parseDeployment, parseVersionList, stableVersion, uploadedVersionId } from "./versions.ts";
import { resolveArgv } from "./wrangler.ts";

export interface RunOptions {
  baseUrl: string;
  rounds: number;
  tag: string;
  skipSmoke: boolean;
}

class Refusal extends Error {}
/** A failed gate; `short` fits the 100-character deployment message of the rollback. */
class GateFailure extends Error {
  readonly short: string;
  constructor(message: string, short: string) {
    super(message);
    this.short = short;
  }
}

/** Runs the plan; resolves to the process exit code (0 done, 1 refused or rolled back). */
export async function executeRollout(plan: RolloutPlan, o: RunOptions): Promise<number> {
  const ids = new Map<string, string>();
  const skip = new Set<string>();
  const shifted = new Set<string>();
  const baselines = new Map<string, SampleStats>();
  const byName = new Map(plan.workers.map((w) => [w.name, w] as const));
  const triggerFailures: string[] = [];
  try {
    for (const step of plan.steps) {
      if ("worker" in step && skip.has(step.worker)) continue;
      if ((step.kind === "wait" || step.kind === "gate") && skip.size === plan.workers.length) continue; // all up to date
      if (step.kind === "inspect" && step.what === "status") {
        const live = stableVersion(parseDeployment(await runJson(step.argv)));
        if (!live.ok) throw new Refusal(`${step.worker}: ${live.reason}`);
        ids.set(`old:${step.worker}`, live.id);
      } else if (step.kind === "inspect") {
        const versions = parseVersionList(await runJson(step.argv));
        const old = ids.get(`old:${step.worker}`)!;
        if (versions.find((v) => v.id === old)?.tag === o.tag) {
          say(`${step.worker}: live version ${old} is already ${o.tag}; skipping it`);
          skip.add(step.worker);
        } else if (!inRollbackWindow(versions, old, 1)) {
          throw new Refusal(`${step.worker}: live version ${old} would fall outside the last 10 versions after this upload, so it could not be rolled back to. Deploy it again first (wrangler rollback ${old}) or use npm run deploy.`);
        }
      } else if (step.kind === "upload") {
        const r = await run(step.argv, { stream: true });
        const id = uploadedVersionId(`${r.stdout}\n${r.stderr}`);
        if (r.code !== 0 || !id) throw new Refusal(`${step.worker}: upload failed (exit ${r.code}); nothing was shifted`);
        ids.set(`new:${step.worker}`, id);
        say(`${step.worker}: uploaded version ${id}`);
      } else if (step.kind === "shift") {
        await runOrThrow(resolveArgv(step.argv, ids), { stream: true });
        shifted.add(step.worker);
      } else if (step.kind === "triggers") {
        // traffic is already on the new version: a failure here is reported, not rolled back
        if ((await run(step.argv, { stream: true })).code !== 0) triggerFailures.push(step.worker);
      } else if (step.kind === "wait") {
        for (let left = step.seconds; left > 0; left -= 15) {
          say(`at ${step.percent}%: gate in ${left} s`);
          await sleep(Math.min(15, left) * 1000);
        }
      } else {
        const rolling = plan.workers.map((w) => w.name).filter((w) => !skip.has(w));
        const gw = byName.get("gateway") ?? ({ script: "edgeshop-gateway" } as WorkerInfo);
        const verdict = await checkStage({ baseUrl: o.baseUrl, gatewayScript: scriptName(gw, plan.env), workers: rolling, ids, rounds: o.rounds, skipSmoke: o.skipSmoke, baselines });
        for (const line of verdict.lines) say(`gate ${step.percent}%  ${line}`);
        if (!verdict.pass) throw new GateFailure(`gate at ${step.percent}% failed: ${verdict.failures.join("; ")}`, `${step.percent}% gate: ${verdict.failures[0]}`);
        say(`gate at ${step.percent}% passed`);
      }
    }
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    say(`${e instanceof Refusal ? "REFUSED" : "FAILED"}: ${reason}`);
    if (shifted.size > 0) await rollBack(plan, shifted, ids, e instanceof GateFailure ? e.short : reason);
    return 1;
  }
  if (triggerFailures.length > 0) {
    say(`rollout done, but applying triggers failed for ${triggerFailures.join(", ")}: run npx wrangler triggers deploy -c <config> --env ${plan.env}`);
    return 1;
  }
  say(`rollout of ${o.tag} complete: ${plan.workers.filter((w) => !skip.has(w.name)).map((w) => `${w.name} ${ids.get(`new:${w.name}`)}`).join(", ") || "nothing to do"}`);
  return 0;
}

async function rollBack(plan: RolloutPlan, shifted: ReadonlySet<string>, ids: ReadonlyMap<string, string>, reason: string): Promise<void> {
  say(`rolling back ${[...shifted].join(", ")} to their previous versions because: ${reason}`);
  for (const w of rollbackOrder(plan, shifted)) {
    const r = await run(resolveArgv(plan.rollback(w, reason), ids), { stream: true });
    say(r.code === 0 ? `${w.name}: back on ${ids.get(`old:${w.name}`)}` : `${w.name}: ROLLBACK FAILED (exit ${r.code}); run npm run rollback -- --env ${plan.env} --workers ${w.name}`);
  }
}
