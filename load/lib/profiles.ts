/**
 * Load profiles, named like the tools users know (k6, Locust, Gatling):
 * stages of open-model arrival rates as multiples of the scenario's base
 * rate (or of --rate when given).
 */
import type { Stage } from "./open-model.ts";

export type ProfileName = "smoke" | "load" | "stress" | "spike" | "soak";

export interface Profile {
  name: ProfileName;
  description: string;
  /** Stages for a base rate `r` (journeys/s) and an optional duration override in seconds. */
  stages(r: number, durationS?: number): Stage[];
}

const hold = (durationS: number, rate: number, label?: string): Stage => ({ durationS, from: rate, to: rate, label });
const ramp = (durationS: number, from: number, to: number, label?: string): Stage => ({ durationS, from, to, label });

/** Stress multipliers of the base rate, 20 s each, until SLOs break (the run stops two steps after). */
export const STRESS_STEPS = [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16];

export const PROFILES: Record<ProfileName, Profile> = {
  smoke: {
    name: "smoke",
    description: "seconds at a low rate: does every journey work, are invariants kept (CI)",
    stages: (r, d = 10) => [hold(d, Math.max(1, r * 0.2), "smoke")],
  },
  load: {
    name: "load",
    description: "steady state at the base rate after a short ramp",
    stages: (r, d = 60) => [ramp(10, r * 0.1, r, "ramp-up"), hold(d, r, "steady")],
  },
  stress: {
    name: "stress",
    description: "steps up the rate until an SLO breaks; reports the breaking point",
    stages: (r, d = 20) => STRESS_STEPS.map((m) => hold(d, r * m, `${Math.round(r * m * 10) / 10}/s`)),
  },
  spike: {
    name: "spike",
    description: "1 -> N -> 1: quiet, a sudden 10x burst, quiet again",
    stages: (r, d = 20) => [hold(10, r * 0.2, "before"), ramp(2, r * 0.2, r * 2, "surge"), hold(d, r * 2, "spike"), ramp(2, r * 2, r * 0.2, "drop"), hold(15, r * 0.2, "after")],
  },
  soak: {
    name: "soak",
    description: "long steady run at half the base rate; watches memory and latency drift",
    stages: (r, d = 600) => [ramp(10, r * 0.05, r * 0.5, "ramp-up"), hold(d, r * 0.5, "soak")],
  },
};
