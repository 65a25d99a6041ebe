import { describe, expect, it } from "vitest";
import { destructiveReasons, extractMigrations, newMigrations } from "../../scripts/release/migrations.ts";
import { inRollbackWindow, parseDeployment, parseDeploymentList, parseVersionList, rollbackTarget, stableVersion, uploadedVersionId } from "../../scripts/release/versions.ts";

const CONFIG = `
name = "edgeshop-catalog"
[[durable_objects.bindings]]
name = "STOCK"
class_name = "StockDO"

[[migrations]]
tag = "v1" # first
new_sqlite_classes = ["StockDO"]

[[migrations]]
tag = "v2"
new_sqlite_classes = [
  "HoldDO",
]

[[migrations]]
tag = "v3"
[[migrations.renamed_classes]]
from = "HoldDO"
to = "ReservationDO"

[env.production]
name = "edgeshop-catalog-production"
[[env.production.durable_objects.bindings]]
name = "STOCK"
class_name = "StockDO"
`;

describe("Durable Object migration detection", () => {
  it("reads the top-level migration list, its tags and directives", () => {
    expect(extractMigrations(CONFIG)).toStrictEqual([
      { tag: "v1", kinds: ["new_sqlite_classes"] },
      { tag: "v2", kinds: ["new_sqlite_classes"] },
      { tag: "v3", kinds: ["renamed_classes"] },
    ]);
    // migrations are inheritable: an environment without its own list uses the top level
    expect(extractMigrations(CONFIG, "production")).toHaveLength(3);
    expect(extractMigrations(`${CONFIG}\n[[env.staging.migrations]]\ntag = "s1"\nnew_sqlite_classes = ["X"]\n`, "staging")).toStrictEqual([{ tag: "s1", kinds: ["new_sqlite_classes"] }]);
    expect(extractMigrations('name = "x"\n')).toStrictEqual([]);
  });

  it("reports tags the last release did not have, and flags destructive ones", () => {
    const release = extractMigrations('[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["StockDO"]\n');
    const fresh = newMigrations(extractMigrations(CONFIG), release);
    expect(fresh.map((m) => m.tag)).toStrictEqual(["v2", "v3"]);
    expect(destructiveReasons(fresh)).toStrictEqual(["migration v3 has renamed_classes: data is moved or deleted and rollback is blocked"]);
    expect(newMigrations(release, release)).toStrictEqual([]);
    expect(newMigrations(release, []).map((m) => m.tag)).toStrictEqual(["v1"]);
  });
});

const version = (id: string, day: number, tag?: string): Record<string, unknown> => ({
  id, metadata: { created_on: `2026-11-${String(day).padStart(2, "0")}T00:00:00Z` }, annotations: tag ? { "workers/tag": tag, "workers/message": "m" } : {},
});

describe("versions and deployments", () => {
  const list = parseVersionList(Array.from({ length: 10 }, (_, i) => version(`v${i + 1}`, i + 1, i === 9 ? "abc" : undefined)));

  it("parses wrangler's JSON and refuses malformed input", () => {
    expect(list[9]).toStrictEqual({ id: "v10", createdOn: "2026-11-10T00:00:00Z", tag: "abc", message: "m" });
    expect(() => parseVersionList({})).toThrow("expected a JSON array");
    expect(parseDeployment({ created_on: "x", versions: [{ version_id: "a", percentage: 100 }] })).toStrictEqual({ createdOn: "x", versions: [{ id: "a", percentage: 100 }] });
    expect(() => parseDeployment({ versions: [] })).toThrow("malformed");
  });

  it("checks the last-10 rollback window, counting the upload about to happen", () => {
    expect(inRollbackWindow(list, "v1")).toBe(true);
    expect(inRollbackWindow(list, "v1", 1)).toBe(false);
    expect(inRollbackWindow(list, "v2", 1)).toBe(true);
    expect(inRollbackWindow(list, "gone")).toBe(false);
  });

  it("finds the stable version and refuses a rollout in progress", () => {
    expect(stableVersion({ createdOn: "", versions: [{ id: "a", percentage: 100 }] })).toStrictEqual({ ok: true, id: "a" });
    expect(stableVersion({ createdOn: "", versions: [{ id: "a", percentage: 100 }, { id: "b", percentage: 0 }] })).toStrictEqual({ ok: true, id: "a" });
    const split = stableVersion({ createdOn: "", versions: [{ id: "b", percentage: 10 }, { id: "a", percentage: 90 }] });
    expect(split.ok).toBe(false);
  });

  it("rolls back to the old side of a split, else to the previous live version", () => {
    const d = (...vs: [string, number][]): Record<string, unknown> => ({ created_on: "", versions: vs.map(([version_id, percentage]) => ({ version_id, percentage })) });
    expect(rollbackTarget(parseDeploymentList([d(["a", 100]), d(["b", 10], ["a", 90])]))).toBe("a");
    expect(rollbackTarget(parseDeploymentList([d(["a", 100]), d(["b", 50], ["a", 50]), d(["b", 100])]))).toBe("a");
    expect(rollbackTarget(parseDeploymentList([d(["a", 100])]))).toBeUndefined();
    expect(rollbackTarget([])).toBeUndefined();
  });

  it("reads the id from versions upload output", () => {
    expect(uploadedVersionId("Uploaded x\nWorker Version ID: 0b4a1c2d-1111-4222-8333-944455556666\n")).toBe("0b4a1c2d-1111-4222-8333-944455556666");
    expect(uploadedVersionId("error")).toBeUndefined();
  });
});
