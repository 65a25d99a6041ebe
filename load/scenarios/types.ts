/** The shape every scenario in load/scenarios shares. */
import type { Journey } from "../lib/context.ts";
import type { Catalog, CustomerPool } from "../lib/fixtures.ts";
import type { HttpClient } from "../lib/http.ts";
import type { Recorder } from "../lib/recorder.ts";

export interface ScenarioOptions {
  /** Customers to prepare for journeys that log in. */
  customers: number;
  /** flash-sale: shoppers racing and units on sale. */
  shoppers: number;
  units: number;
  /** shopper: share of journeys that log in again instead of reusing a session token. */
  loginShare: number;
}

export interface ScenarioEnv {
  http: HttpClient;
  recorder: Recorder;
  options: ScenarioOptions;
  /** Lazily prepared shared data (catalog discovery and customers are done once per run). */
  catalog(): Promise<Catalog>;
  customers(): Promise<CustomerPool>;
  adminToken(): Promise<string>;
}

export interface Scenario {
  name: string;
  description: string;
  /** Journeys/s the `load` profile offers by default; other profiles scale it. */
  baseRate: number;
  /** Prepares data (untimed) and returns the journey for arrival i. */
  setup(env: ScenarioEnv): Promise<(i: number) => Journey>;
  /** Checks invariants after the run (e.g. no oversell) and records them on the recorder. */
  verify?(env: ScenarioEnv): Promise<void>;
  /** Seconds to wait for in-flight journeys after the last arrival before verifying (default 30). */
  graceS?: number;
  /** Fixed number of arrivals (flash-sale), instead of the whole profile duration. */
  maxArrivals?(options: ScenarioOptions): number;
}
