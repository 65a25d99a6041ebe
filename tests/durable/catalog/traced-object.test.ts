/// <reference types="@cloudflare/vitest-plugin/types" />
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { StockDO } from "../../../durable/stock-do.ts";
import { TracedDurableObject, traceObjectMethods } from "../../../shared/traced-object.ts";

const stockEnv = env as unknown as { STOCK: DurableObjectNamespace<StockDO> };

class Pinger extends TracedDurableObject<object> {
  protected static override readonly worker = "test/Pinger";
  ping(n: number): number {
    return n + 1;
  }
}

describe("a Durable Object class's traced methods", () => {
  it("are wrapped once, and a subclass (what `wrangler dev` constructs) leaves its base's wrapping alone", async () => {
    traceObjectMethods(Pinger);
    const wrapped = Object.getOwnPropertyDescriptor(Pinger.prototype, "ping")?.value as unknown;
    expect(traceObjectMethods(Pinger)).toBe(Pinger);
    class LocalName extends Pinger {}
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      // A real DurableObjectState (the base class refuses anything else), borrowed from a StockDO.
      const stub = stockEnv.STOCK.get(stockEnv.STOCK.idFromName("traced-object-test"));
      const object = await runInDurableObject(stub, (_instance, state) => new LocalName(state, {}));
      // Unchanged by the construction: Sentry takes a method that changes then for the
      // framework's and stops reporting its errors.
      expect(Object.getOwnPropertyDescriptor(Pinger.prototype, "ping")?.value).toBe(wrapped);
      lines.length = 0;
      expect(object.ping(1)).toBe(2);
      const spans = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(spans).toEqual([expect.objectContaining({ worker: "test/Pinger", method: "ping", status: "ok" })]);
    } finally {
      spy.mockRestore();
    }
  });
});
