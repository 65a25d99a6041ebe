/**
 * Closed-loop saturation (autocannon's model): `concurrency` workers each
 * send the next request as soon as the previous answered, for `durationS`
 * after a warm-up. This finds the maximum throughput; latency at a chosen
 * rate is then measured with the open model (see open-model.ts), because a
 * closed loop hides queueing (coordinated omission).
 */
import { JourneyContext, StepFailed, type Journey } from "./context.ts";
import type { HttpClient } from "./http.ts";
import { Recorder } from "./recorder.ts";
import { sampleResources } from "./resources.ts";

export interface ClosedLoopResult {
  recorder: Recorder;
  durationS: number;
  /** Completed iterations per second. */
  perSecond: number;
  /** Average CPU per process group during the measurement, percent of one core (local targets only). */
  cpu: Record<string, number>;
}

/** PIDs to sample (serve:bench's state), so figures can be given as CPU time per request. */
let samplePids: { serveBench?: number | null; postgres?: number | null } = {};
export function setSamplePids(pids: typeof samplePids): void {
  samplePids = pids;
}

/** "workerd 2.1 ms CPU per <unit> (54% of a core)" for `count` units done in the run. */
export function cpuNote(r: ClosedLoopResult, count: number, unit = "req"): string {
  const w = r.cpu.workerd;
  if (w === undefined || count === 0) return "";
  const pg = r.cpu.postgres !== undefined ? `, postgres ${Math.round(r.cpu.postgres)}%` : "";
  return `workerd ${((w * 10 * r.durationS) / count).toFixed(2)} ms CPU/${unit} at ${Math.round(w)}% of a core${pg}, loadgen ${Math.round(r.cpu.loadgen ?? 0)}%, other processes ${Math.round(r.cpu.other ?? 0)}%`;
}

/**
 * Runs `journey` in `concurrency` loops; journeys started in the first
 * `warmupS` are not recorded. There is no barrier between warm-up and
 * measurement: each loop goes straight on, so loops that pace themselves
 * (shoppers pausing a random time after each step) stay spread out. Waiting
 * for every loop to finish its warm-up journey lined them all up, and the
 * measurement then opened with every shopper adding to cart at once.
 */
export async function closedLoop(http: HttpClient, concurrency: number, durationS: number, journey: (worker: number) => Journey, warmupS = 2): Promise<ClosedLoopResult> {
  const warm = new Recorder();
  const warmEnd = performance.now() + warmupS * 1000;
  const end = warmEnd + durationS * 1000;
  // Measurement (its clock and the CPU sampler) starts when the warm-up ends, whatever the loops are doing then.
  let measuring: { recorder: Recorder; sampler: ReturnType<typeof sampleResources> } | undefined;
  const measure = () => (measuring ??= { recorder: new Recorder(), sampler: sampleResources(samplePids) });
  const timer = setTimeout(measure, Math.max(0, warmEnd - performance.now()));
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let now = performance.now(); now < end; now = performance.now()) {
        if (now < warmEnd) {
          await journey(w)(new JourneyContext(http, warm, now)).catch(() => undefined);
          continue;
        }
        const { recorder } = measure();
        try {
          await journey(w)(new JourneyContext(http, recorder, now));
          recorder.journeyDone(true);
        } catch (err) {
          recorder.journeyDone(false);
          if (!(err instanceof StepFailed)) recorder.count(`journey error: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }),
  );
  clearTimeout(timer);
  const { recorder, sampler } = measure();
  const elapsed = recorder.elapsedS();
  const samples = sampler.stop();
  const cpu: Record<string, number> = {};
  for (const s of samples) for (const [g, v] of Object.entries(s.cpu)) cpu[g] = (cpu[g] ?? 0) + v / samples.length;
  return { recorder, durationS: elapsed, perSecond: Math.round((recorder.journeysCompleted / elapsed) * 10) / 10, cpu };
}
