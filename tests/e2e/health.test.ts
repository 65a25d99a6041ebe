import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../workers/gateway/src/app.ts";

const up = { health: async () => ({ status: "ok", version: "v-up" }), databaseHealth: async () => ({ status: "ok", version: "v-up" }) };

/** The gateway with stand-in service bindings, one of them failing as asked. */
function gatewayEnv(overrides: Record<string, unknown>) {
  return {
    ...env,
    USERS: up,
    CATALOG: up,
    ORDERS: up,
    PAYMENTS: up,
    SHIPPING: up,
    FAVOURITES: up,
    EVENTS: up,
    ...overrides,
  };
}

describe("GET /health when a dependency is down", () => {
  it("is 503 and names the service that is down", async () => {
    const res = await createApp().request("/health", {}, gatewayEnv({ CATALOG: { health: async () => Promise.reject(new Error("gone")) } }));
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; services: Record<string, string> };
    expect(body.status).toBe("degraded");
    expect(body.services).toStrictEqual({ users: "ok", catalog: "down", orders: "ok", payments: "ok", shipping: "ok", favourites: "ok", database: "ok" });
  });

  it("reports the events Worker in versions only: its outage is not the shoppers' (200), its version says unknown", async () => {
    const healthy = await createApp().request("/health", {}, gatewayEnv({}));
    expect(((await healthy.json()) as { versions: Record<string, string> }).versions.events).toBe("v-up");
    const res = await createApp().request("/health", {}, gatewayEnv({ EVENTS: { health: async () => Promise.reject(new Error("gone")) } }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { services: Record<string, string>; versions: Record<string, string> };
    expect(Object.keys(body.services)).not.toContain("events");
    expect(body.versions.events).toBe("unknown");
  });

  it("is 503 with database down when Postgres does not answer", async () => {
    const res = await createApp().request(
      "/health",
      {},
      gatewayEnv({ USERS: { health: up.health, databaseHealth: async () => ({ status: "down", version: "v-up" }) } }),
    );
    expect(res.status).toBe(503);
    expect(((await res.json()) as { services: Record<string, string> }).services.database).toBe("down");
  });
});
