import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../workers/gateway/src/context.ts";
import { classify, rateLimit, RETRY_AFTER_SECONDS } from "../../workers/gateway/src/middleware/rate-limit.ts";
import { api, newCustomer, problemOf, unique } from "./client.ts";

/** A test-only limiter of 5 requests per 60 s (vitest.config.ts), behind the gateway's middleware. */
function limitedApp() {
  const limiter = (env as unknown as { TEST_RATE_LIMIT: RateLimit }).TEST_RATE_LIMIT;
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", "test");
    await next();
  });
  app.use("*", rateLimit(async (c) => ({ limiter, key: c.req.header("x-client") ?? "anon" })));
  app.get("/", (c) => c.text("ok"));
  return app;
}

describe("rate limiting", () => {
  it("cuts a burst off with 429 problem+json and retry-after, while another client is served", async () => {
    const app = limitedApp();
    const burster = unique("burst");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await app.request("/", { headers: { "x-client": burster } }, env)).status);
    expect(statuses).toStrictEqual([200, 200, 200, 200, 200, 429, 429, 429]);

    const limited = await app.request("/", { headers: { "x-client": burster } }, env);
    expect(limited.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS));
    expect(limited.headers.get("content-type")).toContain("application/problem+json");
    expect(await limited.json()).toStrictEqual(problemOf(429, "RATE_LIMITED", { requestId: "test" }));

    const normal = await app.request("/", { headers: { "x-client": unique("normal") } }, env);
    expect(normal.status).toBe(200);
  });

  it("does not throttle a busy local client in the dev environment", async () => {
    const customer = await newCustomer();
    const results = await Promise.all(Array.from({ length: 60 }, () => api("GET", "/v1/me", { token: customer.token })));
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toStrictEqual([]);
  });

  it("gives each kind of caller its limiter: auth and webhooks per IP, checkout and other signed-in calls per user, the rest per IP", async () => {
    const customer = await newCustomer();
    const app = new Hono<AppEnv>();
    app.all("*", async (c) => c.json(await classify(c)));
    const picked = async (method: string, path: string, token?: string) => {
      const res = await app.request(path, { method, headers: { "cf-connecting-ip": "203.0.113.7", ...(token ? { authorization: `Bearer ${token}` } : {}) } }, env);
      return res.json();
    };
    expect(await picked("POST", "/v1/auth/login")).toStrictEqual({ limiter: "RATE_LIMIT_AUTH", key: "ip:203.0.113.7" });
    expect(await picked("POST", "/v1/webhooks/payments")).toStrictEqual({ limiter: "RATE_LIMIT_WEBHOOK", key: "ip:203.0.113.7" });
    expect(await picked("POST", "/v1/webhooks/carrier")).toStrictEqual({ limiter: "RATE_LIMIT_WEBHOOK", key: "ip:203.0.113.7" });
    expect(await picked("GET", "/v1/products")).toStrictEqual({ limiter: "RATE_LIMIT_ANON", key: "ip:203.0.113.7" });
    expect(await picked("GET", "/health")).toStrictEqual({ limiter: "RATE_LIMIT_ANON", key: "ip:203.0.113.7" });
    expect(await picked("POST", "/v1/checkout", customer.token)).toStrictEqual({ limiter: "RATE_LIMIT_CHECKOUT", key: `user:${customer.id}` });
    expect(await picked("GET", "/v1/me", customer.token)).toStrictEqual({ limiter: "RATE_LIMIT_USER", key: `user:${customer.id}` });
  });
});
