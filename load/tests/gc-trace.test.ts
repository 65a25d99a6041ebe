/**
 * `serve:bench --trace-gc FILE` on a real workerd: a Worker that allocates enough to make V8 collect
 * garbage, started the way serve:bench starts workerd (scripts/bench-gc.ts) with the bench's log
 * filter, leaves GC lines in FILE, each stamped with the wall-clock time it was read, and
 * load/gc-pauses.ts reads them back per isolate, as do the bench's GC note and the reports' GC
 * finding. Plain Node test (`npm run test:load`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { enableGcTrace } from "../../scripts/bench-gc.ts";
import { workerLogFilter } from "../../scripts/bench-workers.ts";
import { parseGcTrace, totalsByIsolate } from "../gc-pauses.ts";
import { gcFinding, gcNote, setGcTrace } from "../lib/gc-window.ts";

test("the GC trace reaches its own file, stamped as it is read, and parses per isolate", async () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeshop-gc-"));
  const saved = { path: process.env.MINIFLARE_WORKERD_PATH, flags: process.env.MINIFLARE_WORKERD_V8_FLAGS };
  const gcFile = join(dir, "gc.log");
  const logFile = join(dir, "workers.log");
  enableGcTrace(dir);
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      compatibilityDate: "2026-10-20",
      handleStructuredLogs: workerLogFilter(logFile, gcFile),
      // Keeps ~8 MB alive at a time while allocating ~200 MB: scavenges, and objects promoted to the old generation.
      // Nothing is logged while allocating: a Worker's log line would flush V8's buffered trace with it.
      script: `export default { async fetch(request) {
        if (new URL(request.url).pathname === "/log") {
          console.log("a worker line");
          return new Response("logged");
        }
        let keep = [];
        for (let i = 0; i < 200; i++) {
          keep.push(new Array(25_000).fill(0).map((_, j) => ({ i, j })));
          if (keep.length > 8) keep = keep.slice(4);
        }
        return new Response(String(keep.length));
      } };`,
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const started = Date.now();
  let linesWhileRunning = 0;
  try {
    const res = await mf.dispatchFetch("http://bench.local/");
    assert.equal(res.status, 200);
    await res.text();
    // Line-buffered: the trace is there while workerd still runs, not only when it exits and flushes.
    for (let i = 0; i < 40 && linesWhileRunning === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      linesWhileRunning = existsSync(gcFile) ? parseGcTrace(readFileSync(gcFile, "utf8")).length : 0;
    }
    assert.equal(await (await mf.dispatchFetch("http://bench.local/log")).text(), "logged");
  } finally {
    await mf.dispose();
    process.env.MINIFLARE_WORKERD_PATH = saved.path;
    process.env.MINIFLARE_WORKERD_V8_FLAGS = saved.flags;
    if (saved.path === undefined) delete process.env.MINIFLARE_WORKERD_PATH;
    if (saved.flags === undefined) delete process.env.MINIFLARE_WORKERD_V8_FLAGS;
  }
  try {
    const pauses = parseGcTrace(readFileSync(gcFile, "utf8"));
    assert.ok(linesWhileRunning > 0, "GC lines arrived while workerd was running");
    assert.ok(pauses.some((p) => p.kind === "Scavenge"), "at least one scavenge was traced");
    for (const p of pauses) {
      assert.ok(p.at >= started && p.at <= Date.now(), `stamped with the time it was read: ${p.at}`);
      assert.ok(p.pauseMs >= 0 && p.beforeMb > 0);
    }
    const totals = [...totalsByIsolate(pauses).values()];
    assert.equal(totals.reduce((n, t) => n + t.scavenges + t.full, 0), pauses.length);
    // What a scenario report and a bench figure say about the same window.
    setGcTrace(gcFile);
    assert.match(gcFinding(started, Date.now()) ?? "", new RegExp(`^Garbage collection stopped workerd's thread ${pauses.length} times \\(\\d+ full collections\\), longest \\d+ ms, \\d+\\.\\d% of the run`));
    assert.match(gcNote(started, Date.now()), /^; GC on workerd's thread: \d+ full.*, \d+ scavenges \(\d+ ms\)$/);
    setGcTrace(undefined);
    assert.equal(gcFinding(started, Date.now()), undefined);
    // Worker log lines stay in the log file; GC lines do not go there.
    const workerLog = readFileSync(logFile, "utf8");
    assert.match(workerLog, /a worker line/);
    assert.doesNotMatch(workerLog, /Scavenge/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
