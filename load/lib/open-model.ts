/**
 * Open-model executor: journeys *arrive* at a rate that follows the profile's
 * stages (journeys/s, linear ramps), whether or not earlier ones finished,
 * the way real shoppers do. Concurrency is bounded (maxInFlight); arrivals
 * beyond it wait in a bounded queue with their intended start time kept, so
 * queueing counts as latency; arrivals beyond the queue are dropped and
 * counted. Everything is bounded in time (stages + grace) and count.
 */
import { JourneyContext, StepFailed, type Journey } from "./context.ts";
import type { HttpClient } from "./http.ts";
import type { Recorder } from "./recorder.ts";

export interface Stage {
  durationS: number;
  /** Arrival rate (journeys/s) at the start and end of the stage; linear in between. */
  from: number;
  to: number;
  label?: string;
}

export interface OpenModelOptions {
  stages: Stage[];
  /** Picks the journey of arrival number i. */
  journey: (i: number) => Journey;
  maxInFlight?: number;
  maxQueue?: number;
  /** Stop after this many arrivals even if stages have time left. */
  maxArrivals?: number;
  /** How long to wait for in-flight journeys after the last arrival. */
  graceS?: number;
  /** Polled every tick with the elapsed seconds; true stops new arrivals (stress stops once an SLO broke). */
  shouldStop?: (elapsedS: number) => boolean;
  /** Called when a journey fails, with its error (for logs/tallies). */
  onFailure?: (err: unknown) => void;
}

/** Expected number of arrivals between 0 and t seconds (integral of the piecewise-linear rate). */
export function arrivalsUntil(stages: Stage[], t: number): number {
  let total = 0;
  let start = 0;
  for (const s of stages) {
    if (t <= start) break;
    const dt = Math.min(t, start + s.durationS) - start;
    const rateAtDt = s.from + ((s.to - s.from) * dt) / s.durationS;
    total += ((s.from + rateAtDt) / 2) * dt;
    start += s.durationS;
  }
  return total;
}

export const totalDuration = (stages: Stage[]): number => stages.reduce((a, s) => a + s.durationS, 0);

/** Runs the journeys; resolves when every arrival has finished or the grace period ran out. */
export async function runOpenModel(http: HttpClient, recorder: Recorder, opts: OpenModelOptions): Promise<{ unfinished: number }> {
  const maxInFlight = opts.maxInFlight ?? 1000;
  const maxQueue = opts.maxQueue ?? 20_000;
  const duration = totalDuration(opts.stages);
  const t0 = performance.now();
  let launched = 0;
  let inFlight = 0;
  const queue: { i: number; intended: number }[] = [];
  let idle: (() => void) | undefined;

  const start = (i: number, intended: number): void => {
    inFlight++;
    recorder.journeysStarted++;
    const ctx = new JourneyContext(http, recorder, intended);
    opts
      .journey(i)(ctx)
      .then(
        () => recorder.journeyDone(true),
        (err: unknown) => {
          recorder.journeyDone(false);
          if (!(err instanceof StepFailed)) recorder.count(`journey error: ${err instanceof Error ? err.message : String(err)}`);
          opts.onFailure?.(err);
        },
      )
      .finally(() => {
        inFlight--;
        const next = queue.shift();
        if (next) start(next.i, next.intended);
        else if (inFlight === 0) idle?.();
      });
  };

  let prevT = 0;
  let prevN = 0;
  while (prevT < duration && (opts.maxArrivals === undefined || launched < opts.maxArrivals)) {
    await new Promise((r) => setTimeout(r, 2));
    const now = performance.now();
    const t = Math.min((now - t0) / 1000, duration);
    if (opts.shouldStop?.(t)) break;
    const n = arrivalsUntil(opts.stages, t);
    while (launched + 1 <= n && (opts.maxArrivals === undefined || launched < opts.maxArrivals)) {
      const k = launched + 1;
      // Where inside this tick arrival k was due: spread arrivals evenly instead of bunching them at the tick.
      const frac = n > prevN ? (k - prevN) / (n - prevN) : 1;
      const intended = t0 + (prevT + frac * (t - prevT)) * 1000;
      launched = k;
      if (inFlight < maxInFlight) start(k - 1, intended);
      else if (queue.length < maxQueue) queue.push({ i: k - 1, intended });
      else {
        recorder.dropped++;
        recorder.step("(client queue full)", 0, "CLIENT_DROPPED", true);
      }
    }
    prevT = t;
    prevN = n;
  }
  if (inFlight > 0) {
    const grace = (opts.graceS ?? 30) * 1000;
    await new Promise<void>((resolve) => {
      idle = resolve;
      setTimeout(resolve, grace).unref();
    });
  }
  return { unfinished: inFlight + queue.length };
}
