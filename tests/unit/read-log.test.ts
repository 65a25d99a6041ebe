/** The batched request records of cached reads (workers/gateway/src/read-log.ts). */
import { describe, expect, it } from "vitest";
import { ReadLog } from "../../workers/gateway/src/read-log.ts";

const trace = (n: number) => ({ traceId: n.toString(16).padStart(32, "0"), spanId: n.toString(16).padStart(16, "0"), flags: "01" });
const record = (n: number, version = "v1") => ({ requestId: `req-${n}`, trace: trace(n), route: "/v1/products/:id", started: Date.now(), version });

function harness(max: number, delayMs: number) {
  const lines: { version: string; count: number; requests: { requestId: string; traceId: string; spanId: string; status: number; at: number }[] }[] = [];
  const waits: Promise<unknown>[] = [];
  const log = new ReadLog((line) => lines.push(JSON.parse(line)), max, delayMs);
  const add = (n: number, version?: string) => log.add(record(n, version), { waitUntil: (p) => void waits.push(p) });
  return { lines, waits, log, add };
}

describe("cached-read log batches", () => {
  it("writes nothing per request, then every record in order as one line", () => {
    const { lines, log, add } = harness(10, 60_000);
    for (let n = 1; n <= 3; n++) add(n);
    expect(lines).toStrictEqual([]);
    expect(log.pending).toBe(3);
    log.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ version: "v1", count: 3 });
    expect(lines[0]?.requests.map((r) => r.requestId)).toStrictEqual(["req-1", "req-2", "req-3"]);
    expect(lines[0]?.requests[1]).toMatchObject({ traceId: trace(2).traceId, spanId: trace(2).spanId, status: 200 });
    expect(typeof lines[0]?.requests[0]?.at).toBe("number");
    log.flush();
    expect(lines).toHaveLength(1); // nothing pending, nothing written
  });

  it("writes a full batch at once, and holds the request that opened a batch until it is written", () => {
    const { lines, waits, add } = harness(4, 60_000);
    for (let n = 1; n <= 9; n++) add(n);
    expect(lines.map((l) => l.count)).toStrictEqual([4, 4]);
    expect(waits).toHaveLength(3); // records 1, 5 and 9 opened a batch
  });

  it("writes an unfilled batch within its delay, from the waitUntil of the request that opened it", async () => {
    const { lines, waits, add } = harness(100, 5);
    add(1);
    add(2);
    expect(lines).toStrictEqual([]);
    await Promise.all(waits);
    expect(lines.map((l) => l.requests.map((r) => r.requestId))).toStrictEqual([["req-1", "req-2"]]);
  });

  it("never mixes versions in one line", () => {
    const { lines, log, add } = harness(100, 60_000);
    add(1, "v1");
    add(2, "v2");
    log.flush();
    expect(lines.map((l) => [l.version, l.count])).toStrictEqual([
      ["v1", 1],
      ["v2", 1],
    ]);
  });
});
