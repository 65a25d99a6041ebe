/** roundRatios: the interleaved read/hello-world figure of `npm run load -- bench`. Plain Node test (`npm run test:load`). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { median, roundRatios } from "../lib/ratios.ts";

test("pairs each read rate with the ceiling of its own round", () => {
  // The ceiling halves across the rounds; the read stays at half of it throughout.
  assert.deepEqual(roundRatios([5000, 3750, 2500], [10000, 7500, 5000]), { median: 0.5, min: 0.5, max: 0.5 });
});

test("takes the median of the rounds' ratios, and their range", () => {
  assert.deepEqual(roundRatios([4000, 5000, 9000], [10000, 10000, 10000]), { median: 0.5, min: 0.4, max: 0.9 });
  assert.deepEqual(roundRatios([4000, 5000, 6000, 9000], [10000, 10000, 10000, 10000]), { median: 0.55, min: 0.4, max: 0.9 });
});

test("refuses rounds that do not pair up", () => {
  assert.throws(() => roundRatios([1, 2], [1]));
  assert.throws(() => roundRatios([], []));
});

test("median of plain values", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([10, 1, 4, 3]), 3.5);
});
