/**
 * load/lib/closed-loop.ts: the warm-up ends on the clock, not when the
 * slowest loop finishes its warm-up journey, so loops that pace themselves
 * are not lined up at the start of the measurement. Plain Node test
 * (`npm run test:load`); the journeys make no requests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { closedLoop } from "../lib/closed-loop.ts";
import { HttpClient } from "../lib/http.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a loop goes on after the warm-up without waiting for the others", async () => {
  const http = new HttpClient("http://127.0.0.1:9", 1); // never called
  const measuredStarts: number[][] = [[], []];
  const t0 = performance.now();
  let first = true;
  const run = await closedLoop(
    http,
    2,
    1,
    (w) => async (ctx) => {
      if (w === 1 && first) {
        first = false;
        await sleep(800); // loop 1's warm-up journey outlasts the warm-up by far
        return;
      }
      if (ctx.recorder.startedAt > t0 + 50) measuredStarts[w]!.push(performance.now() - t0);
      await sleep(20);
    },
    0.1,
  );
  http.close();
  // Loop 0 measured journeys from ~100 ms on, while loop 1 was still in its warm-up journey until ~800 ms
  // (generous margins: only the order matters, not the timing).
  assert.ok((measuredStarts[0]![0] ?? Infinity) < 500, `loop 0 first measured journey at ${measuredStarts[0]![0]} ms`);
  assert.ok((measuredStarts[1]![0] ?? 0) >= 790, `loop 1 first measured journey at ${measuredStarts[1]![0]} ms`);
  // The measurement covers the duration after the warm-up, not the warm-up.
  assert.ok(run.durationS >= 0.98 && run.durationS < 1.5, `measured ${run.durationS} s`);
  assert.ok(run.recorder.journeysCompleted > 10);
});
