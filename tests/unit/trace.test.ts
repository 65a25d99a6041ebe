import { describe, expect, it } from "vitest";
import { continueTrace, traceparent } from "../../shared/trace.ts";

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
