/**
 * Collects what a run measured: per-step latency histograms and outcomes,
 * a per-second timeline (throughput, errors, percentiles), errors by code,
 * journey counts and named invariant checks. Latencies arrive already
 * corrected for coordinated omission (measured from the intended send time).
 */
import { Histogram, type Summary } from "./histogram.ts";

export interface StepStats extends Summary {
  name: string;
  errors: number;
  rps: number;
  outcomes: Record<string, number>;
}

export interface TimelinePoint {
  t: number;
  requests: number;
  errors: number;
  journeys: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

interface Second {
  requests: number;
  errors: number;
  journeys: number;
  hist: Histogram;
}

export class Recorder {
  readonly startedAt = performance.now();
  private steps = new Map<string, { hist: Histogram; errors: number; outcomes: Map<string, number> }>();
  private seconds = new Map<number, Second>();
  readonly errorsByCode = new Map<string, number>();
  /** Up to 3 example bodies per unexpected outcome, for diagnosis (e.g. the requestId of a 500). */
  readonly errorSamples = new Map<string, string[]>();
  readonly checks: Check[] = [];
  readonly counters = new Map<string, number>();
  /** Ids of the orders checkouts answered 201 `paid` for: what a rollout rehearsal looks for in Postgres. */
  readonly paidOrderIds: string[] = [];
  journeysStarted = 0;
  journeysCompleted = 0;
  journeysFailed = 0;
  dropped = 0;

  private second(at: number): Second {
    const t = Math.floor((at - this.startedAt) / 1000);
    let s = this.seconds.get(t);
    if (!s) this.seconds.set(t, (s = { requests: 0, errors: 0, journeys: 0, hist: new Histogram() }));
    return s;
  }

  /** One request: `outcome` is e.g. "200" or "409 OUT_OF_STOCK"; `error` when it was not an expected outcome. */
  step(name: string, latencyMs: number, outcome: string, error: boolean, endedAt = performance.now(), body?: string): void {
    let st = this.steps.get(name);
    if (!st) this.steps.set(name, (st = { hist: new Histogram(), errors: 0, outcomes: new Map() }));
    st.hist.record(latencyMs);
    st.outcomes.set(outcome, (st.outcomes.get(outcome) ?? 0) + 1);
    const sec = this.second(endedAt);
    sec.requests++;
    sec.hist.record(latencyMs);
    if (error) {
      st.errors++;
      sec.errors++;
      this.errorsByCode.set(outcome, (this.errorsByCode.get(outcome) ?? 0) + 1);
      const samples = this.errorSamples.get(outcome) ?? [];
      if (samples.length < 3) this.errorSamples.set(outcome, [...samples, `${name}: ${(body ?? "").slice(0, 300)}`]);
    }
  }

  journeyDone(ok: boolean, endedAt = performance.now()): void {
    if (ok) this.journeysCompleted++;
    else this.journeysFailed++;
    this.second(endedAt).journeys++;
  }

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  check(name: string, ok: boolean, detail: string): void {
    this.checks.push({ name, ok, detail });
  }

  elapsedS(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** All requests merged (optionally only steps whose name passes `filter`). */
  overall(filter: (name: string) => boolean = () => true): Histogram {
    const all = new Histogram();
    for (const [name, st] of this.steps) if (filter(name)) all.merge(st.hist);
    return all;
  }

  totals(): { requests: number; errors: number; fiveXx: number } {
    let requests = 0;
    let errors = 0;
    let fiveXx = 0;
    for (const st of this.steps.values()) {
      requests += st.hist.count;
      errors += st.errors;
      for (const [o, c] of st.outcomes) if (o.startsWith("5")) fiveXx += c;
    }
    return { requests, errors, fiveXx };
  }

  /** Outcome counts of one step. */
  outcomes(name: string): Record<string, number> {
    return Object.fromEntries(this.steps.get(name)?.outcomes ?? []);
  }

  stepStats(durationS: number): StepStats[] {
    return [...this.steps.entries()].map(([name, st]) => ({
      name,
      ...st.hist.summary(),
      errors: st.errors,
      rps: Math.round((st.hist.count / Math.max(durationS, 0.001)) * 10) / 10,
      outcomes: Object.fromEntries(st.outcomes),
    }));
  }

  /** Requests, errors and merged latency of the seconds [fromS, toS) of the run. */
  window(fromS: number, toS: number): { requests: number; errors: number; hist: Histogram } {
    const hist = new Histogram();
    let requests = 0;
    let errors = 0;
    for (const [t, s] of this.seconds) {
      if (t < fromS || t >= toS) continue;
      hist.merge(s.hist);
      requests += s.requests;
      errors += s.errors;
    }
    return { requests, errors, hist };
  }

  timeline(): TimelinePoint[] {
    const last = Math.max(-1, ...this.seconds.keys());
    const points: TimelinePoint[] = [];
    for (let t = 0; t <= last; t++) {
      const s = this.seconds.get(t);
      const sum = s?.hist.summary();
      points.push({ t, requests: s?.requests ?? 0, errors: s?.errors ?? 0, journeys: s?.journeys ?? 0, p50: sum?.p50 ?? 0, p95: sum?.p95 ?? 0, p99: sum?.p99 ?? 0 });
    }
    return points;
  }
}
