/**
 * Every wrangler config's [env.staging] / [env.production] must mirror its
 * top-level bindings, because wrangler does not inherit vars or bindings into
 * environments: a binding added at the top and forgotten here would only fail
 * once deployed. Node only (`npm run test:release`).
 */
import { existsSync, readFileSync } from "node:fs";
import { unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";
import { ALL_WORKERS } from "../workers.ts";
import { DEPLOY_ENVIRONMENTS } from "./environments.ts";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../shared/rate-limits.ts";

/** The parts of wrangler's resolved config this test reads. */
interface Config {
  name?: string;
  vars: Record<string, unknown>;
  version_metadata?: { binding: string };
  observability?: { enabled?: boolean };
  services?: { binding: string; service: string; entrypoint?: string }[];
  durable_objects: { bindings: { name: string; class_name: string; script_name?: string }[] };
  migrations: unknown[];
  ratelimits: { name: string; namespace_id: string | number; simple: { limit: number; period: number } }[];
  queues: { producers?: { binding: string; queue: string }[]; consumers?: { queue: string; dead_letter_queue?: string }[] };
  routes?: unknown[];
  workers_dev?: boolean;
}
const read = (config: string, env?: string): Config => unstable_readConfig({ config, env }, { hideWarnings: true }) as unknown as Config;
const scripts = new Set(ALL_WORKERS.map((w) => w.script));

describe.each(ALL_WORKERS)("$name environments", (worker) => {
  const top = read(worker.config);

  it.each([...DEPLOY_ENVIRONMENTS])("%s mirrors the top-level bindings", (env) => {
    const c = read(worker.config, env);
    expect(c.name).toBe(`${worker.script}-${env}`);
    expect(c.version_metadata?.binding).toBe(top.version_metadata?.binding);
    expect(c.observability?.enabled).toBe(true);

    expect(Object.keys(c.vars).sort()).toStrictEqual(Object.keys(top.vars).sort());
    expect(c.vars.ENVIRONMENT).toBe(env);

    expect(c.services?.map((s) => [s.binding, s.service, s.entrypoint])).toStrictEqual(
      top.services?.map((s) => [s.binding, `${s.service}-${env}`, s.entrypoint]),
    );
    for (const s of top.services ?? []) expect(scripts.has(s.service)).toBe(true);

    expect(c.durable_objects.bindings.map((d) => [d.name, d.class_name, d.script_name])).toStrictEqual(
      top.durable_objects.bindings.map((d) => [d.name, d.class_name, d.script_name && `${d.script_name}-${env}`]),
    );
    // inherited, never repeated: one list of DO migrations for every environment
    expect(c.migrations).toStrictEqual(top.migrations);

    // each environment has its own queues: <queue>-<env>
    expect(c.queues.producers?.map((p) => [p.binding, p.queue]) ?? []).toStrictEqual(top.queues.producers?.map((p) => [p.binding, `${p.queue}-${env}`]) ?? []);
    const suffix = (name: string | undefined): string | undefined => name && `${name}-${env}`;
    expect(c.queues.consumers?.map((q) => [q.queue, q.dead_letter_queue]) ?? []).toStrictEqual(
      top.queues.consumers?.map((q) => [suffix(q.queue), suffix(q.dead_letter_queue)]) ?? [],
    );

    expect(c.ratelimits.map((r) => r.name)).toStrictEqual(top.ratelimits.map((r) => r.name));
    const ids = (x: Config): string[] => x.ratelimits.map((r) => String(r.namespace_id));
    for (const id of ids(c)) expect(ids(top)).not.toContain(id); // counters never shared with dev

    if (worker.name === "gateway") expect(c.routes?.length).toBeGreaterThan(0);
    else expect(c.workers_dev).toBe(false);
  });

  it("uses distinct rate-limit namespaces per environment", () => {
    const [staging, production] = DEPLOY_ENVIRONMENTS.map((e) => read(worker.config, e).ratelimits.map((r) => String(r.namespace_id)));
    for (const id of staging ?? []) expect(production).not.toContain(id);
  });

  it("counts every rate limit over the window a 429's retry-after names", () => {
    for (const env of [undefined, ...DEPLOY_ENVIRONMENTS]) {
      for (const r of read(worker.config, env).ratelimits) expect([env, r.name, r.simple.period]).toStrictEqual([env, r.name, RATE_LIMIT_PERIOD_SECONDS]);
    }
  });
});

describe("the API contract", () => {
  // ../shared/API.md is the team's contract, outside this repository; docs/API.md is its copy for a clone.
  const shared = new URL("../../../shared/API.md", import.meta.url);
  it.skipIf(!existsSync(shared))("docs/API.md is the shared contract, unchanged", () => {
    expect(readFileSync(new URL("../../docs/API.md", import.meta.url), "utf8")).toBe(readFileSync(shared, "utf8"));
  });
});
