/**
 * The real rollout and rollback paths, rehearsed offline: fake wrangler
 * (versions and deployments in a JSON file) and a fake gateway that routes by
 * those deployments. Node only: `npm run test:release`.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readState } from "./fake/cloudflare-state.ts";
import { startFakeGateway } from "./fake/gateway.ts";

const FAKE = resolve("scripts/release/fake/wrangler.ts");
const CATALOG = "workers/catalog/wrangler.toml#staging";
const GATEWAY = "wrangler.toml#staging";
let statePath = "";
let gateway: { url: string; server: Server };

/** No DATABASE_URL: the rehearsal has no environment database (scripts/release/schema-check.test.ts tests that check). */
const envFor = (extra: Record<string, string>) => ({ ...process.env, DATABASE_URL: "", EDGESHOP_FAKE_WRANGLER: FAKE, FAKE_CF_STATE: statePath, CLOUDFLARE_API_TOKEN: "fake-token", ...extra });

/** Async, because the fake gateway lives in this process and must keep answering. */
function node(script: string, args: string[], extra: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [script, ...args], { env: envFor(extra) });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.on("exit", (code) => done({ code: code ?? 1, output }));
  });
}
const fake = (...args: string[]): void => void spawnSync(process.execPath, [FAKE, ...args], { env: envFor({}) });
const live = (key: string): { version_id: string; percentage: number }[] => readState(statePath)[key]!.deployments.at(-1)!.versions;
const rollout = (extra: Record<string, string> = {}, more: string[] = [], workers = "catalog,gateway") =>
  node("scripts/rollout.ts", ["--env", "staging", "--workers", workers, "--stages", "50,100", "--wait", "0", "--canary", "15", "--target", gateway.url, "--skip-smoke", "--allow-dirty", ...more], extra);

beforeAll(async () => {
  gateway = await startFakeGateway(() => statePath, "staging");
});
afterAll(() => {
  gateway.server.closeAllConnections();
  gateway.server.close();
});

beforeEach(() => {
  statePath = join(mkdtempSync(join(tmpdir(), "edgeshop-rollout-")), "state.json");
  for (const c of ["workers/catalog/wrangler.toml", "wrangler.toml"]) fake("deploy", "-c", c, "--env", "staging", "--tag", "v0");
});

describe("rollout rehearsal (fake Cloudflare)", { timeout: 120_000 }, () => {
  it("uploads, shifts 50% then 100% with gates, and a rollback returns to the old versions", async () => {
    const before = [live(CATALOG)[0]!.version_id, live(GATEWAY)[0]!.version_id];
    const r = await rollout();
    expect(r.output).toContain("gate at 50% passed");
    expect(r.code).toBe(0);
    expect(live(CATALOG)).toHaveLength(1);
    expect(live(CATALOG)[0]!.percentage).toBe(100);
    expect(live(CATALOG)[0]!.version_id).not.toBe(before[0]);
    const history = readState(statePath)[CATALOG]!.deployments.map((d) => d.versions.map((v) => v.percentage));
    expect(history).toStrictEqual([[100], [50, 50], [100]]);

    const back = await node("scripts/rollback.ts", ["--env", "staging", "--workers", "catalog,gateway"]);
    expect(back.code).toBe(0);
    expect([live(CATALOG)[0]!.version_id, live(GATEWAY)[0]!.version_id]).toStrictEqual(before);
  });

  it("rolls every shifted Worker back when a gate fails, and says why", async () => {
    const before = [live(CATALOG)[0]!.version_id, live(GATEWAY)[0]!.version_id];
    const r = await rollout({ FAKE_BAD_CONFIGS: "workers/catalog/wrangler.toml" });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/gate at 50% failed: catalog: error rate: new 100\.0%/);
    expect(r.output).toContain("rolling back catalog, gateway");
    expect(live(CATALOG)).toStrictEqual([{ version_id: before[0], percentage: 100 }]);
    expect(live(GATEWAY)).toStrictEqual([{ version_id: before[1], percentage: 100 }]);
  });

  it("judges the events Worker, which /health reports in versions only, and ships it", async () => {
    const EVENTS = "workers/events/wrangler.toml#staging";
    fake("deploy", "-c", "workers/events/wrangler.toml", "--env", "staging", "--tag", "v0");
    const before = live(EVENTS)[0]!.version_id;
    const r = await rollout({}, [], "events,gateway");
    expect(r.output).toContain("gate at 50% passed");
    expect(r.code).toBe(0);
    expect(live(EVENTS)).toHaveLength(1);
    expect(live(EVENTS)[0]!.version_id).not.toBe(before);
  });

  it("deploy:migration ships one Worker at 100%, and the rollout then skips it", async () => {
    const migrate = await node("scripts/deploy-migration.ts", ["--env", "staging", "--worker", "catalog", "--all-migrations", "--target", gateway.url]);
    expect(migrate.output).toContain("catalog deployed with its migration");
    expect(migrate.code).toBe(0);
    const migrated = live(CATALOG);
    const r = await rollout();
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/catalog: live version \S+ is already \S+; skipping it/);
    expect(live(CATALOG)).toStrictEqual(migrated);
    expect(readState(statePath)[GATEWAY]!.deployments).toHaveLength(3); // seed, 50%, 100%
  });

  it("refuses when the live version would leave the last 10, or a split is in progress", async () => {
    for (let i = 0; i < 9; i++) fake("versions", "upload", "-c", "workers/catalog/wrangler.toml", "--env", "staging", "--tag", `u${i}`);
    const r = await rollout();
    expect(r.code).toBe(1);
    expect(r.output).toContain("would fall outside the last 10 versions");
    expect(readState(statePath)[GATEWAY]!.versions).toHaveLength(1); // refused before any upload

    const ids = readState(statePath)[CATALOG]!.versions.map((v) => v.id);
    fake("versions", "deploy", `${ids.at(-1)}@10%`, `${ids[0]}@90%`, "-c", "workers/catalog/wrangler.toml", "--env", "staging");
    const split = await rollout();
    expect(split.code).toBe(1);
    expect(split.output).toContain("a gradual deployment is in progress");
    // nor does a full deploy replace the split at once
    const deploy = await node("scripts/deploy.ts", ["--env", "staging", "--workers", "catalog,gateway"]);
    expect(deploy.code).toBe(1);
    expect(deploy.output).toContain("REFUSED: catalog: a gradual deployment is in progress");
    expect(live(CATALOG)).toHaveLength(2);
  });
});
