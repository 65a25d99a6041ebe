import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { serveCachedRead } from "../../workers/gateway/src/cached-read.ts";
import { readLog } from "../../workers/gateway/src/read-log.ts";
import { adminToken, api, unique } from "./client.ts";

/** The gateway's fast path for cached catalog reads (workers/gateway/src/cached-read.ts). */

const gatewayEnv = env as unknown as GatewayEnv;
const url = (path: string) => `http://edgeshop.test${path}`;
const PER_REQUEST = ["x-request-id", "traceparent"];
/** The fast path's waitUntil: the batched log line's timer (read-log.ts), which the tests flush themselves. */
const ctx = { waitUntil: (_: Promise<unknown>) => undefined };

let productId = "";

beforeAll(async () => {
  const admin = await adminToken();
  const tag = unique("fast").toLowerCase();
  const category = await api<{ id: string }>("POST", "/v1/categories", { token: admin, body: { name: `Fast ${tag}`, slug: `fast-${tag}` } });
  const product = await api<{ id: string }>("POST", "/v1/products", {
    token: admin,
    body: { title: `Fast ${tag}`, description: "Cached.", categoryId: category.body.id, variants: [{ sku: `FAST-${tag}`, title: "One", price: { amount: 500, currency: "USD" }, initialStock: 3 }] },
  });
  expect(product.status).toBe(201);
  productId = product.body.id;
});

afterEach(() => vi.restoreAllMocks());

/** Headers minus those that differ per request, as sorted pairs. */
function stable(headers: Headers): [string, string][] {
  return [...headers].filter(([name]) => !PER_REQUEST.includes(name)).sort(([a], [b]) => a.localeCompare(b));
}

describe("cached catalog reads (fast path)", () => {
  it("answers a cached anonymous read with the full path's status, body and headers, stamped per request", async () => {
    const full = await api("GET", `/v1/products/${productId}`); // the first read of a new product takes the full path, and fills the cache
    expect(full.status).toBe(200);
    expect(full.headers.get("cache-control")).toBe("no-cache");
    const fast = await serveCachedRead(new Request(url(`/v1/products/${productId}`), { headers: { "x-request-id": "fast-1" } }), gatewayEnv, ctx);
    expect(fast?.status).toBe(200);
    expect(await fast?.json()).toStrictEqual(full.body);
    expect(stable(fast!.headers)).toStrictEqual(stable(full.headers));
    expect(fast!.headers.get("x-request-id")).toBe("fast-1");
    expect(fast!.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(fast!.headers.get("traceparent")).not.toBe(full.headers.get("traceparent"));
    // The cached bytes serve every request, not only the first (a body reads them in place and never detaches them).
    const again = await serveCachedRead(new Request(url(`/v1/products/${productId}`)), gatewayEnv, ctx);
    expect(await again?.json()).toStrictEqual(full.body);
    expect(again?.headers.get("content-length")).toBe(fast!.headers.get("content-length"));
  });

  it("continues the client's trace and writes the gateway's request record, batched, with the route", async () => {
    await api("GET", `/v1/products/${productId}`);
    readLog.flush();
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const fast = await serveCachedRead(new Request(url(`/v1/products/${productId}`), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }), gatewayEnv, ctx);
    expect(fast?.headers.get("traceparent")).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const lines = () => log.mock.calls.map(([line]) => JSON.parse(String(line)) as { msg?: string; requests?: { requestId: string }[] });
    const ours = () => lines().filter((l) => l.requests?.some((r) => r.requestId === fast?.headers.get("x-request-id")));
    expect(ours()).toStrictEqual([]); // written with the batch, not at once
    readLog.flush();
    expect(lines()).toStrictEqual(ours()); // nothing but that batch was written meanwhile
    expect(ours()).toStrictEqual([
      {
        level: "info",
        worker: "gateway",
        msg: "cached reads",
        version: gatewayEnv.CF_VERSION_METADATA.id,
        count: 1,
        requests: [
          {
            requestId: fast?.headers.get("x-request-id"),
            traceId,
            spanId: fast?.headers.get("traceparent")?.split("-")[2],
            method: "GET",
            route: "/v1/products/:id",
            status: 200,
            durationMs: expect.any(Number),
            at: expect.any(Number),
          },
        ],
      },
    ]);
  });

  it("serves lists and categories by the URL as sent", async () => {
    for (const path of ["/v1/products?limit=2", "/v1/categories"]) {
      const full = await api("GET", path);
      expect(full.status).toBe(200);
      const fast = await serveCachedRead(new Request(url(path)), gatewayEnv, ctx);
      expect(await fast?.json()).toStrictEqual(full.body);
    }
    // The same query in another order is another URL: the full path answers it (and caches it).
    expect(await serveCachedRead(new Request(url("/v1/products?limit=2&q=fast")), gatewayEnv, ctx)).toBeUndefined();
  });

  it("leaves to the full path: a token, other methods, the fault header, a miss, and what the full path refused", async () => {
    await api("GET", `/v1/products/${productId}`);
    const path = url(`/v1/products/${productId}`);
    expect(await serveCachedRead(new Request(path, { headers: { authorization: "Bearer x" } }), gatewayEnv, ctx)).toBeUndefined();
    expect(await serveCachedRead(new Request(path, { method: "HEAD" }), gatewayEnv, ctx)).toBeUndefined();
    expect(await serveCachedRead(new Request(path, { method: "DELETE" }), gatewayEnv, ctx)).toBeUndefined();
    expect(await serveCachedRead(new Request(path, { headers: { "x-edgeshop-fault": "gateway" } }), gatewayEnv, ctx)).toBeUndefined();
    expect(await serveCachedRead(new Request(url("/v1/products/prd_missing")), gatewayEnv, ctx)).toBeUndefined();
    // 404 and 400 answers are never cached, so the full path answers them every time.
    expect((await api("GET", "/v1/products/prd_missing")).status).toBe(404);
    expect(await serveCachedRead(new Request(url("/v1/products/prd_missing")), gatewayEnv, ctx)).toBeUndefined();
    expect((await api("GET", "/v1/products?limit=0")).status).toBe(400);
    expect(await serveCachedRead(new Request(url("/v1/products?limit=0")), gatewayEnv, ctx)).toBeUndefined();
  });

  it("leaves the answer to the full path when the rate limiter refuses or fails", async () => {
    await api("GET", `/v1/products/${productId}`);
    const request = () => new Request(url(`/v1/products/${productId}`), { headers: { "cf-connecting-ip": "203.0.113.9" } });
    const keys: string[] = [];
    const refusing = { ...gatewayEnv, RATE_LIMIT_ANON: { limit: async ({ key }: { key: string }) => (keys.push(key), { success: false }) } };
    expect(await serveCachedRead(request(), refusing as GatewayEnv, ctx)).toBeUndefined();
    expect(keys).toStrictEqual(["ip:203.0.113.9"]);
    const failing = { ...gatewayEnv, RATE_LIMIT_ANON: { limit: async () => Promise.reject(new Error("limiter down")) } };
    expect(await serveCachedRead(request(), failing as GatewayEnv, ctx)).toBeUndefined();
  });

  it("shows an admin write on the next read, through the fast path", async () => {
    const admin = await adminToken();
    const before = await api<{ title: string }>("GET", `/v1/products/${productId}`);
    const patched = await api<{ title: string }>("PATCH", `/v1/products/${productId}`, { token: admin, body: { title: `${before.body.title} (new)` } });
    expect(patched.status).toBe(200);
    for (let read = 0; read < 2; read++) {
      const after = await api<{ title: string }>("GET", `/v1/products/${productId}`);
      expect(after.body.title).toBe(`${before.body.title} (new)`);
    }
  });

  it("shows a variant's new title and weight on the next read, through the fast path", async () => {
    const admin = await adminToken();
    type Read = { variants: { sku: string; title: string; weightGrams: number }[] };
    const before = await api<Read>("GET", `/v1/products/${productId}`);
    const fast = async () => (await serveCachedRead(new Request(url(`/v1/products/${productId}`)), gatewayEnv, ctx))?.json();
    expect(await fast()).toStrictEqual(before.body);
    const [variant] = before.body.variants;
    const changed = { title: `${variant!.title} (heavy)`, weightGrams: variant!.weightGrams + 1000 };
    const patched = await api<Read>("PATCH", `/v1/products/${productId}`, { token: admin, body: { variants: [{ sku: variant!.sku, ...changed }] } });
    expect(patched.status).toBe(200);
    // The write dropped the cached read: the fast path misses, and the full path's answer (then cached) shows the change.
    expect(await fast()).toBeUndefined();
    const after = await api<Read>("GET", `/v1/products/${productId}`);
    expect(after.body.variants).toStrictEqual([{ ...variant, ...changed }]);
    expect(await fast()).toStrictEqual(after.body);
  });
});
