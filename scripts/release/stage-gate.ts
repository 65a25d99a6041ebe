/**
 * One stage's gate: canary requests plus the smoke run, judged per rolled-out
 * Worker. At 100% the old version serves nothing, so each Worker is compared
 * with the old version's figures from the previous stage.
 */
import { attribute } from "./attribution.ts";
import { runCanary } from "./canary.ts";
import { DEFAULT_THRESHOLDS, evaluateGates, summarise, type GateVerdict, type SampleStats } from "./gates.ts";
import { runSmoke } from "./smoke.ts";

export interface GateInput {
  baseUrl: string;
  gatewayScript: string;
  workers: string[];
  ids: ReadonlyMap<string, string>;
  rounds: number;
  skipSmoke: boolean;
  /** Old-version figures from earlier stages, per Worker; updated in place. */
  baselines: Map<string, SampleStats>;
}

/** Runs the canary and smoke once and evaluates every Worker against its old version. */
export async function checkStage(g: GateInput): Promise<{ pass: boolean; lines: string[]; failures: string[] }> {
  const id = (side: string, w: string): string => g.ids.get(`${side}:${w}`) ?? "";
  const gateway = g.workers.includes("gateway") ? { fresh: id("new", "gateway"), old: id("old", "gateway") } : undefined;
  const [records, smoke] = await Promise.all([runCanary({ baseUrl: g.baseUrl, gatewayScript: g.gatewayScript, gateway, rounds: g.rounds }), runSmoke(g.baseUrl, g.skipSmoke)]);

  const lines: string[] = [];
  const failures: string[] = [];
  let unattributed = 0;
  for (const w of g.workers) {
    const split = attribute(records, w, id("new", w), id("old", w));
    unattributed += split.unattributed.length;
    let old = summarise(split.old);
    if (old.count < DEFAULT_THRESHOLDS.minSamples) old = g.baselines.get(w) ?? old;
    else g.baselines.set(w, old);
    const verdict: GateVerdict = evaluateGates(summarise(split.fresh), old);
    lines.push(`${w}:`, ...verdict.lines.map((l) => `  ${l}`));
    failures.push(...verdict.failures.map((f) => `${w}: ${f}`));
  }
  if (smoke.kind === "skipped") lines.push(`skip smoke: ${smoke.note}`);
  else if (smoke.kind === "passed") lines.push("ok   smoke: passed");
  else {
    lines.push(`FAIL smoke: ${smoke.detail}`);
    failures.push(`smoke: ${smoke.detail}`);
  }
  const throttled = records.filter((r) => r.status === 429).length;
  // 429s carry no version: too many of them starve the gate of samples, which then fails for lack of evidence
  if (throttled > 0) lines.push(`warn ${throttled}/${records.length} canary requests were rate limited (429): lower --canary or raise RATE_LIMIT_ANON`);
  const unattributedRate = records.length === 0 ? 1 : unattributed / records.length;
  if (unattributedRate > DEFAULT_THRESHOLDS.maxErrorRateIncrease) {
    const text = `${unattributed}/${records.length} canary requests failed without reaching a known version`;
    lines.push(`FAIL ${text}`);
    failures.push(text);
  }
  return { pass: failures.length === 0, lines, failures };
}
