/**
 * The serve:bench Rate Limiting stand-in (scripts/bench-ratelimit-plugin.mjs)
 * on a real workerd: a Worker calls its wrapped bindings and gets what the
 * binding's contract promises: `success` until `limit` calls of one key in a
 * window, per binding and per key. Plain Node test (`npm run test:load`).
 */
import { resolve } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";

const plugin = { package: resolve(import.meta.dirname, "../../scripts/bench-ratelimit-plugin.mjs"), name: "edgeshop-bench-ratelimit" };

test("the in-isolate limiter allows `limit` calls per key and window, per binding", async () => {
  const limiter = (name: string, limit: number) => ({ name, type: "edgeshop-bench-ratelimit", plugin, options: { limit, period: 60 } });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      compatibilityDate: "2026-10-20",
      script: `export default { async fetch(request, env) {
        const out = [];
        for (const [binding, key] of [["A", "k1"], ["A", "k1"], ["A", "k1"], ["A", "k2"], ["B", "k1"], ["A", "k1"]]) out.push((await env[binding].limit({ key })).success);
        return Response.json(out);
      } };`,
      unsafeBindings: [limiter("A", 2), limiter("B", 1)],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  try {
    const res = await mf.dispatchFetch("http://bench.local/");
    assert.deepEqual(await res.json(), [true, true, false, true, true, false]);
  } finally {
    await mf.dispose();
  }
});
