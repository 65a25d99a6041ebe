/** The rehearsal's version assignment: stable per key, uniform, and monotone as the new share grows. */
import { describe, expect, it } from "vitest";
import { bucketOf, versionForBucket } from "./buckets.js";

const keys = Array.from({ length: 10_000 }, (_, i) => `client-${i}`);

describe("rehearsal version buckets", () => {
  it("gives a key the same bucket every time, within 0..99", () => {
    for (const k of keys.slice(0, 100)) {
      const b = bucketOf(k);
      expect(b).toBe(bucketOf(k));
      expect(Number.isInteger(b) && b >= 0 && b < 100).toBe(true);
    }
  });

  it("spreads keys evenly enough that a 10% stage sends about 10% to the new version", () => {
    const onNew = keys.filter((k) => versionForBucket(bucketOf(k), 10) === "new").length;
    expect(onNew / keys.length).toBeGreaterThan(0.08);
    expect(onNew / keys.length).toBeLessThan(0.12);
  });

  it("never moves a key back to the old version while the new share grows", () => {
    for (const k of keys.slice(0, 1000)) {
      const path = [0, 10, 25, 50, 75, 100].map((p) => versionForBucket(bucketOf(k), p));
      expect(path.slice(path.indexOf("new")).every((v) => v === "new")).toBe(true);
      expect(path[0]).toBe("old");
      expect(path[5]).toBe("new");
    }
  });
});
