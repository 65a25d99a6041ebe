/**
 * What a journey sees: `ctx.step()` sends one request and records it. Latency
 * is measured from the step's *intended* send time, not from when the client
 * got round to sending it: the first step's intended time is the journey's
 * scheduled arrival, each later step's is the moment the previous response
 * arrived (a user cannot click before the page loads). A late, queued or
 * starved client therefore shows up as latency (coordinated omission
 * corrected) instead of silently lowering the offered load.
 */
import { problemCode, type HttpClient, type HttpResult, type RequestOptions } from "./http.ts";
import type { Recorder } from "./recorder.ts";

export interface StepOptions extends RequestOptions {
  /** Statuses that are a normal outcome for this step (default: any 2xx). */
  expect?: number[];
}

/** Thrown by a step whose outcome was unexpected; ends the journey as failed. */
export class StepFailed extends Error {
  readonly result: HttpResult | undefined;
  constructor(message: string, result?: HttpResult) {
    super(message);
    this.result = result;
  }
}

export class JourneyContext {
  private intended: number;
  readonly http: HttpClient;
  readonly recorder: Recorder;

  constructor(http: HttpClient, recorder: Recorder, intendedStart: number) {
    this.http = http;
    this.recorder = recorder;
    this.intended = intendedStart;
  }

  /**
   * Sends one request as step `name`; returns the result when its status is
   * expected, throws StepFailed otherwise (the journey ends there, like a
   * user who hits an error page).
   */
  async step(name: string, method: string, path: string, opts: StepOptions = {}): Promise<HttpResult> {
    const intended = this.intended;
    let res: HttpResult | undefined;
    let outcome: string;
    try {
      res = await this.http.request(method, path, opts);
      const code = problemCode(res);
      outcome = code ? `${res.status} ${code}` : String(res.status);
    } catch (err) {
      outcome = `NETWORK ${err instanceof Error ? err.message.split(/\s/)[0] : "ERROR"}`;
    }
    const end = performance.now();
    this.intended = end;
    const ok = res !== undefined && (opts.expect ? opts.expect.includes(res.status) : res.status >= 200 && res.status < 300);
    this.recorder.step(name, end - intended, outcome, !ok, end, ok ? undefined : res?.text); // only an unexpected answer's body is kept
    if (!ok) throw new StepFailed(`${name}: ${outcome}`, res);
    return res as HttpResult;
  }

  /** Think time: the next step is intended `ms` after the last response. */
  async think(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise((r) => setTimeout(r, ms));
    this.intended += ms;
  }
}

/** A user journey: a sequence of steps with its own data. */
export type Journey = (ctx: JourneyContext) => Promise<void>;

/** Deterministic-enough randomness helpers for journeys. */
export const pick = <T>(items: readonly T[]): T => {
  if (items.length === 0) throw new Error("pick from an empty list");
  return items[Math.floor(Math.random() * items.length)] as T;
};
