import { describe, expect, it, vi } from "vitest";
import { SLOW_CALL_MS, tracedMethod, tracedStub } from "../../shared/traced-calls.ts";
import { continueTrace, currentTrace, isSampled, runWithTrace, takeTraceArg, traceSampleRate, traceparent, withTraceArg } from "../../shared/trace.ts";
import { DomainEventSchema, domainEvent } from "../../shared/events.ts";
import { consumeTraced } from "../../workers/events/src/queue.ts";

describe("W3C trace context", () => {
  it("keeps a valid trace id and flags, with a new span id", () => {
    const t = continueTrace("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    expect(t.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(t.flags).toBe("00");
    expect(t.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(t.spanId).not.toBe("00f067aa0ba902b7");
    expect(traceparent(t)).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${t.spanId}-00`);
  });

  it("starts a new trace for missing, malformed or all-zero ids", () => {
    for (const header of [undefined, "", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"]) {
      const t = continueTrace(header);
      expect(t.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(t.traceId).not.toMatch(/^0+$/);
      expect(t.flags).toBe("01");
    }
  });
});

describe("head sampling at the edge", () => {
  const header = (flags: string) => `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-${flags}`;

  it("samples a new trace as the rate says, and honours a client's sampled flag", () => {
    expect(continueTrace(undefined, 0).flags).toBe("00");
    expect(continueTrace(undefined, 1).flags).toBe("01");
    expect(continueTrace(header("00"), 0).flags).toBe("00");
    expect(continueTrace(header("00"), 1).flags).toBe("01");
    const asked = continueTrace(header("01"), 0);
    expect(asked).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", flags: "01" });
    expect(isSampled(asked)).toBe(true);
    const sampled = Array.from({ length: 4000 }, () => isSampled(continueTrace(undefined, 0.25))).filter(Boolean).length;
    expect(sampled).toBeGreaterThan(800);
    expect(sampled).toBeLessThan(1200);
  });

  it("keeps the caller's decision inside the system (no rate: flags as sent)", () => {
    expect(continueTrace(header("00")).flags).toBe("00");
    const caller = { ...continueTrace(header("00")), requestId: "req-u" };
    const received = takeTraceArg(runWithTrace(caller, () => withTraceArg([])));
    expect(received && isSampled(received)).toBe(false);
  });

  it("reads TRACE_SAMPLE_RATE as a probability, 1 when unset or malformed", () => {
    expect([undefined, "", " ", "abc", "-0.1", "1.5", "NaN"].map(traceSampleRate)).toStrictEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(["0", "0.1", "1"].map(traceSampleRate)).toStrictEqual([0, 0.1, 1]);
  });
});

describe("trace propagation across calls", () => {
  const label = { worker: "test", version: () => "v1" };

  it("carries the current trace as a last, marked argument that the callee takes off", () => {
    const caller = { ...continueTrace(undefined), requestId: "req-1" };
    const sent = runWithTrace(caller, () => withTraceArg(["sku-1", 2]));
    expect(sent).toHaveLength(3);
    const received = takeTraceArg(sent);
    expect(sent).toEqual(["sku-1", 2]);
    expect(received?.traceId).toBe(caller.traceId);
    expect(received?.parentSpanId).toBe(caller.spanId);
    expect(received?.spanId).not.toBe(caller.spanId);
    expect(received?.requestId).toBe("req-1");
  });

  it("sends nothing extra outside a trace, and leaves real arguments alone", () => {
    expect(withTraceArg(["a"])).toEqual(["a"]);
    const args: unknown[] = ["a", { traceparent: "not an envelope" }];
    expect(takeTraceArg(args)).toBeUndefined();
    expect(args).toHaveLength(2);
  });

  it("runs a method under the caller's trace, logs one line, keeps sync methods sync, and passes the trace on", () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const calls: unknown[][] = [];
      const downstream = tracedStub({ record: (...args: unknown[]) => calls.push(args) });
      const method = tracedMethod((qty: number) => {
        downstream.record(qty);
        return qty * 2;
      }, "double", label);
      const caller = { ...continueTrace(undefined), requestId: "req-2" };
      const args = runWithTrace(caller, () => withTraceArg([21]));
      expect((method as (...a: unknown[]) => unknown)(...args)).toBe(42); // synchronous result
      const line = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
      expect(line).toMatchObject({ worker: "test", method: "double", traceId: caller.traceId, parentSpanId: caller.spanId, requestId: "req-2", status: "ok", version: "v1" });
      // the downstream call got the callee's span as its parent
      const forwarded = [...(calls[0] ?? [])];
      expect(forwarded[0]).toBe(21);
      expect(takeTraceArg(forwarded)).toMatchObject({ traceId: caller.traceId, parentSpanId: line.spanId });
    } finally {
      spy.mockRestore();
    }
  });

  it("logs a thrown error as status error (through console.error), and starts a new trace when the caller sent none", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      const failing = tracedMethod(async () => {
        throw new TypeError("boom");
      }, "fail", label);
      await expect(failing()).rejects.toThrow("boom");
      expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ method: "fail", status: "error", error: "TypeError", parentSpanId: "" });
    } finally {
      spy.mockRestore();
    }
  });
});

describe("span lines of an unsampled trace", () => {
  const label = { worker: "test", version: () => "v1" };
  const unsampled = () => runWithTrace({ ...continueTrace(undefined, 0), requestId: "req-u" }, () => withTraceArg([]));

  it("writes none for a quick call that succeeded, and one for a call that threw, refused or was slow", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const errors = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    let now = 1_000_000;
    const clock = vi.spyOn(Date, "now").mockImplementation(() => now);
    try {
      const quick = tracedMethod(async () => "done", "quick", label);
      await expect((quick as (...a: unknown[]) => Promise<string>)(...unsampled())).resolves.toBe("done");
      expect(lines).toStrictEqual([]);

      const failing = tracedMethod(async () => {
        throw new TypeError("boom");
      }, "fail", label);
      await expect((failing as (...a: unknown[]) => Promise<never>)(...unsampled())).rejects.toThrow("boom");
      expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([{ method: "fail", status: "error", requestId: "req-u" }]);

      const refusing = tracedMethod(async () => ({ ok: false, error: { code: "OUT_OF_STOCK", detail: "none left" } }), "reserve", label);
      await expect((refusing as (...a: unknown[]) => Promise<unknown>)(...unsampled())).resolves.toMatchObject({ ok: false });
      expect(JSON.parse(lines[1] ?? "{}")).toMatchObject({ method: "reserve", status: "ok", refused: "OUT_OF_STOCK", requestId: "req-u" });

      const slow = tracedMethod(async () => {
        now += SLOW_CALL_MS;
        return "late";
      }, "slow", label);
      await expect((slow as (...a: unknown[]) => Promise<string>)(...unsampled())).resolves.toBe("late");
      expect(JSON.parse(lines[2] ?? "{}")).toMatchObject({ method: "slow", status: "ok", durationMs: SLOW_CALL_MS, requestId: "req-u" });
      expect(lines).toHaveLength(3);
      expect(errors).toHaveBeenCalledTimes(1); // only the call that threw is an error line
    } finally {
      clock.mockRestore();
      spy.mockRestore();
      errors.mockRestore();
    }
  });
});

describe("trace across the events queue", () => {
  it("stores the producer's trace in an event built inside a traced call, and none outside one", () => {
    const producer = { ...continueTrace(undefined), requestId: "req-evt" };
    const event = runWithTrace(producer, () => domainEvent("order.placed", { orderId: "ord_1" }, "evt_order_paid_ord_1"));
    expect(event.trace).toEqual({ traceparent: traceparent(producer), requestId: "req-evt" });
    // it survives the consumer's parse (the schema would strip an unknown key)
    expect(DomainEventSchema.parse(JSON.parse(JSON.stringify(event))).trace).toEqual(event.trace);
    expect(domainEvent("order.placed", { orderId: "ord_2" }).trace).toBeUndefined();
  });

  it("consumes an event under its producer's trace with a log line of its own", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const producer = { ...continueTrace(undefined), requestId: "req-q" };
      const event = runWithTrace(producer, () => domainEvent("payment.captured", { orderId: "ord_3" }, "evt_payment_captured_pay_3"));
      const applied: unknown[][] = [];
      await consumeTraced(event, { CF_VERSION_METADATA: { id: "v-events" } }, async (...args) => void applied.push(args));
      expect(applied).toEqual([[event]]); // the trace argument is taken off before the consumer runs
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ worker: "events", method: "queue:payment.captured", traceId: producer.traceId, parentSpanId: producer.spanId, requestId: "req-q", status: "ok", version: "v-events" });
    } finally {
      spy.mockRestore();
    }
  });

  it("keeps an event without a trace in the batch's trace (no line of its own)", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const batch = { ...continueTrace(undefined), requestId: "" };
      const event = domainEvent("shipment.created", { orderId: "ord_4" }, "evt_shipment_created_4");
      let seen: string | undefined;
      await runWithTrace(batch, () => consumeTraced(event, {}, async () => void (seen = currentTrace()?.traceId)));
      expect(seen).toBe(batch.traceId);
      expect(lines).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
  });
});
