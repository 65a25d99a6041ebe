import { describe, expect, it } from "vitest";
import { attribute, healthMaps, overrideHeader, type CanaryRecord } from "../../scripts/release/attribution.ts";
import { evaluateGates, percentile, summarise, type Sample } from "../../scripts/release/gates.ts";

const ok = (ms: number, n: number): Sample[] => Array.from({ length: n }, () => ({ status: 200, ms }));
const err = (n: number): Sample[] => Array.from({ length: n }, () => ({ status: 503, ms: 5 }));

describe("gate statistics", () => {
  it("computes a nearest-rank p95 and the 5xx/transport error rate", () => {
    expect(percentile([], 95)).toBe(0);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(summarise([...ok(10, 8), { status: 404, ms: 10 }, { status: 0, ms: 10_000 }])).toStrictEqual({ count: 10, errors: 1, errorRate: 0.1, p95: 10_000 });
  });
});

describe("gate evaluation", () => {
  const old = summarise(ok(40, 50));

  it("passes a new version as good as the old one", () => {
    const v = evaluateGates(summarise(ok(45, 50)), old, { kind: "passed" });
    expect(v.pass).toBe(true);
    expect(v.failures).toStrictEqual([]);
  });

  it("fails on a higher error rate and says by how much", () => {
    const v = evaluateGates(summarise([...ok(40, 45), ...err(5)]), old, { kind: "passed" });
    expect(v.pass).toBe(false);
    expect(v.failures).toStrictEqual(["error rate: new 10.0% (5/50) vs old 0.0%, allowed <= 1.0%"]);
  });

  it("fails a version as broken as the old one, but lets a strict improvement through", () => {
    const broken = summarise(err(50));
    expect(evaluateGates(broken, broken).failures).toStrictEqual(["error rate: new 100.0% is above 5.0% and no better than old 100.0%"]);
    expect(evaluateGates(summarise([...ok(40, 35), ...err(15)]), summarise([...ok(40, 20), ...err(30)])).pass).toBe(true);
  });

  it("fails a slower p95 only past both the ratio and the absolute margin", () => {
    expect(evaluateGates(summarise(ok(80, 50)), old, { kind: "passed" }).pass).toBe(true); // x2 but only +40 ms
    const slow = evaluateGates(summarise(ok(200, 50)), old, { kind: "passed" });
    expect(slow.failures).toStrictEqual(["p95: new 200 ms vs old 40 ms (allowed x1.5 or +50 ms)"]);
  });

  it("treats too few samples as a failure, a failed smoke as a failure, a missing kit as a skip", () => {
    expect(evaluateGates(summarise(ok(40, 3)), old, { kind: "passed" }).failures[0]).toContain("samples: 3 from the new version");
    expect(evaluateGates(summarise(ok(40, 50)), old, { kind: "failed", detail: "exit 1" }).failures).toStrictEqual(["smoke: exit 1"]);
    const skipped = evaluateGates(summarise(ok(40, 50)), old, { kind: "skipped", note: "no load script" });
    expect(skipped.pass).toBe(true);
    expect(skipped.lines).toContain("skip smoke: no load script");
  });
});

describe("canary attribution", () => {
  const health = (gw: string, catalog: string, catalogStatus = "ok"): CanaryRecord => ({
    path: "/health", status: catalogStatus === "ok" ? 200 : 503, ms: 20, gatewayVersion: gw,
    serviceVersions: { catalog }, serviceStatus: { catalog: catalogStatus },
  });
  const records = [health("g-new", "c-old"), health("g-old", "c-new"), health("g-old", "c-new", "down"), { path: "/v1/products", status: 200, ms: 30, gatewayVersion: "g-new" }, { path: "/health", status: 0, ms: 10_000 }];

  it("attributes the gateway by x-edgeshop-version and services by /health versions", () => {
    const gw = attribute(records, "gateway", "g-new", "g-old");
    expect(gw.fresh).toHaveLength(2);
    // the 503 /health came from catalog being down: it counts against catalog, not the gateway
    expect(gw.old).toStrictEqual([{ status: 200, ms: 20 }, { status: 200, ms: 20 }]);
    expect(gw.unattributed).toStrictEqual([{ status: 0, ms: 10_000 }]);
    const cat = attribute(records, "catalog", "c-new", "c-old");
    expect(cat.fresh).toStrictEqual([{ status: 200, ms: 20 }, { status: 503, ms: 20 }]);
    expect(cat.old).toStrictEqual([{ status: 200, ms: 20 }]);
  });

  it("judges a Worker /health reports in versions only (events) by its version, and skips answers that do not report it", () => {
    const h = (events: string | undefined): CanaryRecord => ({
      path: "/health", status: 200, ms: 20, gatewayVersion: "g",
      serviceVersions: { catalog: "c", ...(events === undefined ? {} : { events }) }, serviceStatus: { catalog: "ok" },
    });
    // an older gateway's /health, which does not name events, is no evidence either way
    const ev = attribute([h("e-new"), h("e-old"), h("unknown"), h(undefined)], "events", "e-new", "e-old");
    expect(ev).toStrictEqual({ fresh: [{ status: 200, ms: 20 }], old: [{ status: 200, ms: 20 }], unattributed: [{ status: 503, ms: 20 }] });
  });

  it("builds the override header and reads /health defensively", () => {
    expect(overrideHeader("edgeshop-gateway-production", "abc")).toBe('edgeshop-gateway-production="abc"');
    expect(healthMaps({ versions: { users: "v1", bad: 3 }, services: { users: "ok" } })).toStrictEqual({ serviceVersions: { users: "v1" }, serviceStatus: { users: "ok" } });
    expect(healthMaps("nope")).toStrictEqual({});
  });
});
