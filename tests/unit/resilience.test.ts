import { describe, expect, it } from "vitest";
import { CircuitBreaker, DependencyUnavailable, FAILURE_THRESHOLD, OPEN_MS, guarded, resilient } from "../../workers/gateway/src/resilience.ts";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const noSleep = async () => undefined;
const boom = () => Promise.reject(new Error("connection lost"));

function refusal(b: CircuitBreaker): DependencyUnavailable | null {
  try {
    b.admit();
    return null;
  } catch (err) {
    return err as DependencyUnavailable;
  }
}

describe("CircuitBreaker (state per isolate)", () => {
  it("opens after the threshold of consecutive failures and fails fast with retry-after", () => {
    const c = clock();
    const b = new CircuitBreaker("catalog", c.now);
    for (let i = 0; i < FAILURE_THRESHOLD - 1; i++) b.failed();
    expect(b.state).toBe("closed");
    expect(refusal(b)).toBeNull();
    b.failed();
    expect(b.state).toBe("open");
    const refused = refusal(b);
    expect(refused).toBeInstanceOf(DependencyUnavailable);
    expect({ service: refused?.service, retryAfterSeconds: refused?.retryAfterSeconds }).toStrictEqual({ service: "catalog", retryAfterSeconds: OPEN_MS / 1000 });
    c.advance(OPEN_MS - 2500);
    expect(refusal(b)?.retryAfterSeconds).toBe(3);
  });

  it("a success in between resets the count", () => {
    const b = new CircuitBreaker("orders", clock().now);
    for (let i = 0; i < FAILURE_THRESHOLD - 1; i++) b.failed();
    b.succeeded();
    for (let i = 0; i < FAILURE_THRESHOLD - 1; i++) b.failed();
    expect(b.state).toBe("closed");
  });

  it("after the open period lets one trial through: success closes, failure re-opens", () => {
    const c = clock();
    const b = new CircuitBreaker("payments", c.now);
    for (let i = 0; i < FAILURE_THRESHOLD; i++) b.failed();
    c.advance(OPEN_MS);
    expect(b.state).toBe("half-open");
    expect(refusal(b)).toBeNull(); // the trial
    expect(refusal(b)).toBeInstanceOf(DependencyUnavailable); // a second caller while the trial is out
    b.failed();
    expect(b.state).toBe("open");
    c.advance(OPEN_MS);
    expect(refusal(b)).toBeNull();
    b.succeeded();
    expect(b.state).toBe("closed");
    expect(refusal(b)).toBeNull();
  });
});

describe("guarded RPC calls", () => {
  it("retries a read that threw, then answers", async () => {
    const b = new CircuitBreaker("catalog", clock().now);
    let calls = 0;
    const value = await guarded("getProduct", () => (++calls < 3 ? boom() : Promise.resolve({ ok: true })), { breaker: b, sleep: noSleep });
    expect({ value, calls, state: b.state }).toStrictEqual({ value: { ok: true }, calls: 3, state: "closed" });
  });

  it("never retries a write, nor a read the callee refused as overloaded", async () => {
    const b = new CircuitBreaker("orders", clock().now);
    let writes = 0;
    await expect(guarded("checkout", () => (writes++, boom()), { breaker: b, sleep: noSleep })).rejects.toThrow("connection lost");
    let reads = 0;
    const overloaded = Object.assign(new Error("Durable Object is overloaded"), { overloaded: true });
    await expect(guarded("getCart", () => (reads++, Promise.reject(overloaded)), { breaker: b, sleep: noSleep })).rejects.toBe(overloaded);
    expect({ writes, reads }).toStrictEqual({ writes: 1, reads: 1 });
  });

  it("turns a call that does not answer in time into DependencyUnavailable", async () => {
    const b = new CircuitBreaker("shipping", clock().now);
    const never = () => new Promise<never>(() => undefined);
    const err = await guarded("createShipment", never, { breaker: b, timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailable);
    expect((err as DependencyUnavailable).message).toBe("shipping unavailable: no answer within 20 ms");
  });

  it("neither retries nor counts a method the callee's version does not have (a rollout in progress)", async () => {
    const b = new CircuitBreaker("catalog", clock().now);
    const missing = new TypeError('The RPC receiver does not implement the method "getInventoryLedger".');
    let calls = 0;
    for (let i = 0; i < FAILURE_THRESHOLD * 2; i++) {
      await expect(guarded("getInventoryLedger", () => (calls++, Promise.reject(missing)), { breaker: b, sleep: noSleep })).rejects.toBe(missing);
    }
    expect({ calls, state: b.state }).toStrictEqual({ calls: FAILURE_THRESHOLD * 2, state: "closed" });
  });

  it("counts thrown calls, not refusals: { ok: false } is an answer", async () => {
    const b = new CircuitBreaker("catalog", clock().now);
    for (let i = 0; i < FAILURE_THRESHOLD * 2; i++) {
      expect(await guarded("reserve", () => Promise.resolve({ ok: false, error: { code: "OUT_OF_STOCK" } }), { breaker: b })).toStrictEqual({ ok: false, error: { code: "OUT_OF_STOCK" } });
    }
    expect(b.state).toBe("closed");
    for (let i = 0; i < FAILURE_THRESHOLD; i++) await guarded("reserve", boom, { breaker: b }).catch(() => undefined);
    expect(b.state).toBe("open");
    await expect(guarded("reserve", () => Promise.resolve("never called"), { breaker: b })).rejects.toBeInstanceOf(DependencyUnavailable);
  });
});

describe("resilient bindings", () => {
  it("guards RPC methods and leaves health probes alone", async () => {
    const b = new CircuitBreaker("users", clock().now);
    let probes = 0;
    const binding = {
      getUser: (id: string) => Promise.resolve({ id }),
      health: () => (probes++, Promise.reject(new Error("down"))),
      broken: () => Promise.reject(new Error("connection lost")),
    };
    const guardedBinding = resilient("users", binding, b);
    expect(await guardedBinding.getUser("usr_1")).toStrictEqual({ id: "usr_1" });
    for (let i = 0; i < FAILURE_THRESHOLD; i++) await guardedBinding.broken().catch(() => undefined);
    await expect(guardedBinding.getUser("usr_1")).rejects.toBeInstanceOf(DependencyUnavailable);
    // /health still asks the service itself, so it reports what is really there.
    await expect(guardedBinding.health()).rejects.toThrow("down");
    expect(probes).toBe(1);
  });
});
