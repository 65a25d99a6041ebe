import { describe, expect, it } from "vitest";
import { listFlag, numberFlag, parseArgs, parseStages } from "../../scripts/release/args.ts";
import { versionMessage, versionTag, workersAffectedBy } from "../../scripts/release/changed.ts";
import { parseEnvironment, scriptName, selectWorkers, targetUrl } from "../../scripts/release/environments.ts";
import { buildRolloutPlan, rollbackOrder } from "../../scripts/release/plan.ts";
import { formatArgv, resolveArgv } from "../../scripts/release/wrangler.ts";
import { ALL_WORKERS } from "../../scripts/workers.ts";

const names = (ws: { name: string }[]): string[] => ws.map((w) => w.name);

describe("release args", () => {
  it("parses --flag value, --flag=value and booleans", () => {
    const a = parseArgs(["--env", "production", "--stages=10,100", "--dry-run", "--workers", "users, gateway"], ["dry-run"]);
    expect(a.flags).toStrictEqual({ env: "production", stages: "10,100", "dry-run": true, workers: "users, gateway" });
    expect(listFlag(a, "workers")).toStrictEqual(["users", "gateway"]);
    expect(numberFlag(a, "wait", 60)).toBe(60);
    expect(() => parseArgs(["--env"], [])).toThrow("--env needs a value");
  });

  it("accepts ascending stages ending at 100 and defaults to 10,50,100", () => {
    expect(parseStages(undefined)).toStrictEqual([10, 50, 100]);
    expect(parseStages("5, 25,100")).toStrictEqual([5, 25, 100]);
    expect(() => parseStages("10,50")).toThrow("must end at 100");
    expect(() => parseStages("50,10,100")).toThrow("strictly ascending");
    expect(() => parseStages("0,100")).toThrow("between 1 and 100");
    expect(() => parseStages("12.5,100")).toThrow("whole percentages");
  });

  it("knows staging and production, not dev", () => {
    expect(parseEnvironment("staging")).toBe("staging");
    expect(() => parseEnvironment("dev")).toThrow("dev is local");
    expect(() => parseEnvironment(undefined)).toThrow("--env is required");
    expect(targetUrl("staging", undefined, { EDGESHOP_URL_STAGING: "https://s.example/" })).toBe("https://s.example");
    expect(targetUrl("production", "http://127.0.0.1:8787", {})).toBe("http://127.0.0.1:8787");
    expect(scriptName(selectWorkers(["gateway"])[0]!, "production")).toBe("edgeshop-gateway-production");
  });

  it("selects Workers in dependency order with the gateway last", () => {
    expect(names(selectWorkers(["gateway", "users"]))).toStrictEqual(["users", "gateway"]);
    expect(names(selectWorkers(undefined)).at(-1)).toBe("gateway");
    expect(() => selectWorkers(["nope"])).toThrow("unknown worker(s): nope");
  });
});

describe("changed Workers and version labels", () => {
  it("maps changed files to the Workers they end up in", () => {
    expect(names(workersAffectedBy(["workers/catalog/src/index.ts", "docs/x.md", "tests/e2e/a.test.ts"]))).toStrictEqual(["catalog"]);
    expect(names(workersAffectedBy(["wrangler.toml", "workers/users/wrangler.toml"]))).toStrictEqual(["users", "gateway"]);
    expect(workersAffectedBy(["shared/errors.ts"])).toStrictEqual(ALL_WORKERS);
    expect(workersAffectedBy(["package-lock.json"])).toStrictEqual(ALL_WORKERS);
    expect(workersAffectedBy(["README.md", "load/run.ts", "scripts/start.ts"])).toStrictEqual([]);
  });

  it("keeps tags within 25 and messages within 100 characters", () => {
    expect(versionTag("0123456789abcdef", true)).toBe("0123456789ab-dirty");
    expect(versionMessage("fix", "release-3")).toBe("release-3: fix");
    const long = versionMessage("x".repeat(200), undefined);
    expect(long).toHaveLength(100);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("rollout plan", () => {
  const workers = selectWorkers(["catalog", "gateway"]);
  const plan = buildRolloutPlan({ env: "production", workers, stages: [10, 100], waitSeconds: 30, tag: "abc", message: "m" });

  it("inspects, uploads, then shifts every Worker per stage before waiting and gating", () => {
    expect(plan.steps.map((s) => `${s.kind}${"worker" in s ? `:${s.worker}` : ""}${"percent" in s ? `@${s.percent}` : ""}`)).toStrictEqual([
      "inspect:catalog", "inspect:catalog", "inspect:gateway", "inspect:gateway",
      "upload:catalog", "upload:gateway",
      "shift:catalog@10", "shift:gateway@10", "wait@10", "gate@10",
      "shift:catalog@100", "shift:gateway@100", "wait@100", "gate@100",
      "triggers:catalog", "triggers:gateway",
    ]);
  });

  it("builds the wrangler commands with placeholders resolved at run time", () => {
    const shift = plan.steps.find((s) => s.kind === "shift" && s.worker === "catalog")!;
    expect("argv" in shift && formatArgv(shift.argv)).toBe(
      "npx wrangler versions deploy {new:catalog}@10% {old:catalog}@90% -c workers/catalog/wrangler.toml --env production --yes --message 'rollout abc: 10%'",
    );
    const ids = new Map([["new:catalog", "n1"], ["old:catalog", "o1"]]);
    expect(resolveArgv(["{new:catalog}@10%", "{old:catalog}@90%", "{new:gateway}"], ids)).toStrictEqual(["n1@10%", "o1@90%", "{new:gateway}"]);
    const upload = plan.steps.find((s) => s.kind === "upload")!;
    expect("argv" in upload && upload.argv).toStrictEqual(["wrangler", "versions", "upload", "-c", "workers/catalog/wrangler.toml", "--env", "production", "--tag", "abc", "--message", "m"]);
    expect(plan.rollback(workers[1]!, "gate failed")).toStrictEqual(["wrangler", "versions", "deploy", "{old:gateway}@100%", "-c", "wrangler.toml", "--env", "production", "--yes", "--message", "rollback of abc: gate failed"]);
  });

  it("rolls back only shifted Workers, gateway first", () => {
    expect(names(rollbackOrder(plan, new Set(["catalog", "gateway"])))).toStrictEqual(["gateway", "catalog"]);
    expect(names(rollbackOrder(plan, new Set(["catalog"])))).toStrictEqual(["catalog"]);
  });

  it("skips the wait when --wait 0", () => {
    const quick = buildRolloutPlan({ env: "staging", workers, stages: [100], waitSeconds: 0, tag: "t", message: "m" });
    expect(quick.steps.filter((s) => s.kind === "wait")).toStrictEqual([]);
  });
});
