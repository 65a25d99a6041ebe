/**
 * The catalog's per-isolate `available` memo for product reads: a snapshot
 * read while its SKU's stock moved is never stored, including when the memo
 * of recent changes had to be emptied in between (then any read started
 * before that is not stored either).
 */
import { describe, expect, it } from "vitest";
import { AVAILABLE_TTL_MS, forget, readStarted, remember, rememberedAvailable } from "../../workers/catalog/src/available-cache.ts";

describe("available memo", () => {
  it("stores a snapshot read while nothing changed, and drops it when the stock moves", () => {
    const sku = `AV-${crypto.randomUUID()}`;
    remember(sku, 7, readStarted());
    expect(rememberedAvailable(sku, AVAILABLE_TTL_MS)).toBe(7);
    forget(sku);
    expect(rememberedAvailable(sku, AVAILABLE_TTL_MS)).toBeUndefined();
  });

  it("does not store a snapshot whose read overlapped a change of its SKU", () => {
    const sku = `AV-${crypto.randomUUID()}`;
    const started = readStarted();
    forget(sku); // a reservation settled while the snapshot was on its way
    remember(sku, 7, started);
    expect(rememberedAvailable(sku, AVAILABLE_TTL_MS)).toBeUndefined();
  });

  it("does not store it either when the record of that change was emptied meanwhile (20,000 other SKUs moved)", () => {
    const sku = `AV-${crypto.randomUUID()}`;
    const started = readStarted();
    forget(sku);
    for (let i = 0; i < 20_001; i++) forget(`AV-other-${i}`);
    remember(sku, 7, started);
    expect(rememberedAvailable(sku, AVAILABLE_TTL_MS)).toBeUndefined();
    // A read that starts afterwards is stored as usual.
    remember(sku, 5, readStarted());
    expect(rememberedAvailable(sku, AVAILABLE_TTL_MS)).toBe(5);
  });
});
