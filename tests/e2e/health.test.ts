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
