import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { STATUS_BY_CODE } from "../../shared/errors.ts";
import { createApp } from "../../workers/gateway/src/app.ts";
import { adminToken, api, newCustomer, problemOf, unique } from "./client.ts";

describe("gateway", () => {
  it("GET /health lists every service and the database", async () => {
    const res = await api("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      status: "ok",
      version: expect.any(String),
      services: { users: "ok", catalog: "ok", orders: "ok", payments: "ok", shipping: "ok", favourites: "ok", database: "ok" },
      versions: expect.any(Object),
    });
  });

  it("echoes a client's x-request-id and stamps the version on errors too", async () => {
    const res = await api("GET", "/v1/nope", { headers: { "x-request-id": "client-id-123" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("client-id-123");
    expect(res.headers.get("x-edgeshop-version")).toBeTruthy();
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body).toStrictEqual(problemOf(404, "NOT_FOUND", { requestId: "client-id-123" }));
  });

  it("echoes any request id of 1-128 printable characters, and makes a new one for anything else", async () => {
    for (const id of ["checkout/42 retry", "a".repeat(128), "550e8400-e29b-41d4-a716-446655440000", "{\"quoted\"}"]) {
      const res = await api("GET", "/v1/categories", { headers: { "x-request-id": id } });
      expect(res.headers.get("x-request-id")).toBe(id);
    }
    const tooLong = await api("GET", "/v1/nope", { headers: { "x-request-id": "a".repeat(129) } });
    expect(tooLong.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(tooLong.body).toStrictEqual(problemOf(404, "NOT_FOUND", { requestId: tooLong.headers.get("x-request-id") }));
  });

  it("continues a W3C traceparent, or starts a trace when there is none or it is malformed", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const continued = await api("GET", "/health", { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(continued.headers.get("traceparent")).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(continued.headers.get("traceparent")).not.toContain("00f067aa0ba902b7");
    for (const headers of [{}, { traceparent: "garbage" }] as Record<string, string>[]) {
      const started = await api("GET", "/health", { headers });
      expect(started.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });

  it("samples traces as TRACE_SAMPLE_RATE says, unless the client asked for its trace, and logs every request", async () => {
    const app = createApp();
    const unsampledEnv = { ...env, TRACE_SAMPLE_RATE: "0" } as unknown as GatewayEnv;
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const ctx = createExecutionContext();
      const plain = await app.fetch(new Request("http://edgeshop.test/v1/categories"), unsampledEnv, ctx);
      expect(plain.status).toBe(200);
      expect(plain.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const asked = await app.fetch(new Request("http://edgeshop.test/v1/categories", { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }), unsampledEnv, ctx);
      expect(asked.headers.get("traceparent")).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      // answered before any route: the line names the path the catch-all caught
      const unknown = await app.fetch(new Request("http://edgeshop.test/v1/nowhere?x=1"), unsampledEnv, ctx);
      expect(unknown.status).toBe(404);
      await waitOnExecutionContext(ctx);
      const lines = log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>).filter((l) => l.worker === "gateway" && l.msg !== "cached reads"); // batches of earlier tests' cached reads may land here
      expect(lines.map((l) => [l.route, l.path, l.status])).toStrictEqual([["/v1/categories", undefined, 200], ["/v1/categories", undefined, 200], ["/*", "/v1/nowhere", 404]]);
    } finally {
      log.mockRestore();
    }
  });

  it("tells caches to keep nothing of a signed-in caller's answers or of a write's, and to ask again before reusing a public read", async () => {
    const register = await api<{ token: string }>("POST", "/v1/auth/register", { body: { email: `${unique("nostore")}@example.com`, password: "password123", name: "No Store" } });
    expect(register.status).toBe(201);
    expect(register.headers.get("cache-control")).toBe("no-store");
    const me = await api("GET", "/v1/me", { token: register.body.token });
    expect([me.status, me.headers.get("cache-control")]).toStrictEqual([200, "no-store"]);
    const refused = await api("GET", "/v1/users", { token: register.body.token });
    expect([refused.status, refused.headers.get("cache-control")]).toStrictEqual([403, "no-store"]);
    const catalog = await api("GET", "/v1/categories");
    expect([catalog.status, catalog.headers.get("cache-control")]).toStrictEqual([200, "no-cache"]);
    // A product read, the same read answered from the gateway's cache, a list and a 404 alike: a cache in front of
    // clients may not serve any of them without asking, so none shows an old price or a deleted product.
    const admin = await adminToken();
    const slug = unique("nocache");
    const categoryId = (await api<{ id: string }>("POST", "/v1/categories", { token: admin, body: { name: "No cache", slug } })).body.id;
    const sku = unique("NOCACHE").toUpperCase();
    const created = await api<{ id: string }>("POST", "/v1/products", { token: admin, body: { title: "No cache", description: "", categoryId, variants: [{ sku, title: "One", price: { amount: 100, currency: "USD" }, initialStock: 1 }] } });
    expect(created.status).toBe(201);
    const reads: [string, number][] = [[`/v1/products/${created.body.id}`, 200], [`/v1/products/${created.body.id}`, 200], ["/v1/products?limit=1", 200], [`/v1/products/prd_${"0".repeat(28)}`, 404]];
    for (const [path, status] of reads) {
      const res = await api("GET", path);
      expect([res.status, res.headers.get("cache-control")], path).toStrictEqual([status, "no-cache"]);
    }
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const res = await api("DELETE", "/v1/auth/login");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("OPTIONS, POST");
    expect(res.body).toStrictEqual(problemOf(405, "METHOD_NOT_ALLOWED"));
  });

  it("answers a path with a trailing slash 404 whatever the method: it is no route, so no method is allowed there", async () => {
    for (const method of ["GET", "POST", "DELETE"]) {
      const res = await api(method, "/v1/products/", method === "POST" ? { body: {} } : {});
      expect({ status: res.status, allow: res.headers.get("allow"), body: res.body }).toStrictEqual({ status: 404, allow: null, body: problemOf(404, "NOT_FOUND") });
    }
  });

  it("refuses bodies over 1 MiB with 413", async () => {
    const res = await api("POST", "/v1/auth/register", { rawBody: JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) }) });
    expect(res.status).toBe(413);
    expect(res.body).toStrictEqual(problemOf(413, "PAYLOAD_TOO_LARGE"));
  });

  it("refuses a body that is not sent as JSON with 415, not a 5xx", async () => {
    const body = JSON.stringify({ email: "someone@example.com", password: "password123" });
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
      const res = await api("POST", "/v1/auth/login", { rawBody: body, headers: { "content-type": contentType } });
      expect(res.status).toBe(415);
      expect(res.body).toStrictEqual(problemOf(415, "UNSUPPORTED_MEDIA_TYPE"));
    }
    const withoutType = await exports.default.fetch(new Request("http://edgeshop.test/v1/auth/login", { method: "POST", body: new TextEncoder().encode(body) }));
    expect(withoutType.status).toBe(415);
    // A compressed body is a content coding the API does not take (RFC 9110: 415, with Accept-Encoding).
    const gzipped = await new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    const encoded = await exports.default.fetch(new Request("http://edgeshop.test/v1/auth/login", {
      method: "POST", body: gzipped, headers: { "content-type": "application/json", "content-encoding": "gzip" },
    }));
    expect([encoded.status, encoded.headers.get("accept-encoding"), (await encoded.json() as { code: string }).code]).toStrictEqual([415, "identity", "UNSUPPORTED_MEDIA_TYPE"]);
    const identity = await api("POST", "/v1/auth/login", { rawBody: body, headers: { "content-encoding": "identity" } });
    expect(identity.status).toBe(401);
  });

  it("lets an operation without a body ignore one whose text could not be stored, and refuses it where a body is read", async () => {
    const customer = await newCustomer();
    for (const rawBody of ['{"x":"\\u0000"}', '{"x":"\\ud800"}', "{not json"]) {
      const emptied = await api("DELETE", "/v1/cart", { token: customer.token, rawBody });
      expect({ body: rawBody, status: emptied.status }).toStrictEqual({ body: rawBody, status: 204 });
    }
    const read = await api("PATCH", "/v1/me", { token: customer.token, rawBody: '{"name":"\\u0000"}' });
    expect(read.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "name", message: "NUL characters are not allowed" }] }));
  });

  it("answers CORS preflight and plain OPTIONS with the path's methods in Allow (404 for a path that is no route), and sets security headers", async () => {
    const res = await api("OPTIONS", "/v1/products", { headers: { origin: "https://shop.example", "access-control-request-method": "GET" } });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
    // What a storefront sends: its token and body, a checkout key, and its own Sentry SDK's trace headers.
    const asked = "authorization, content-type, idempotency-key, sentry-trace, baggage";
    const browser = await api("OPTIONS", "/v1/checkout", { headers: { origin: "https://shop.example", "access-control-request-method": "POST", "access-control-request-headers": asked } });
    expect(browser.status).toBe(204);
    const allowed = (browser.headers.get("access-control-allow-headers") ?? "").split(",").map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(asked.split(", ")));
    const plain = await api("OPTIONS", "/v1/orders/ord_000000000000ffffffffffffffff/cancel");
    expect([plain.status, plain.headers.get("allow")]).toStrictEqual([204, "OPTIONS, POST"]);
    const unknown = await api("OPTIONS", "/v1/nope", { headers: { origin: "https://shop.example", "access-control-request-method": "GET" } });
    expect([unknown.status, unknown.body]).toStrictEqual([404, problemOf(404, "NOT_FOUND", { requestId: unknown.headers.get("x-request-id") })]);
    const health = await api("GET", "/health");
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("serves the OpenAPI document and the docs page", async () => {
    const spec = await api<{ openapi: string; paths: Record<string, unknown> }>("GET", "/v1/openapi.json");
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe("3.1.0");
    // The server is the origin the document came from, never one a request's Host header names.
    const forged = await exports.default.fetch(new Request("http://evil.example/v1/openapi.json"));
    expect(((await forged.json()) as { servers: unknown }).servers).toStrictEqual([{ url: "/" }]);
    const docs = await api<string>("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.body).toContain("/v1/openapi.json");
    // An HTML page: it carries the document headers JSON responses leave out.
    expect(docs.headers.get("origin-agent-cluster")).toBe("?1");
    expect(docs.headers.get("x-download-options")).toBe("noopen");
    expect(spec.headers.get("origin-agent-cluster")).toBeNull();
    expect(spec.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  it("names every error code a client can get, with its status, and on each problem response the codes its status may carry", async () => {
    type Doc = { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>; components: { schemas: { Problem: { properties: { code: { description: string } } } } } };
    const spec = (await api<Doc>("GET", "/v1/openapi.json")).body;
    const listed = spec.components.schemas.Problem.properties.code.description;
    for (const [code, status] of Object.entries(STATUS_BY_CODE)) expect(listed, code).toContain(`\`${code}\` ${status}`);
    const conflict = spec.paths["/v1/checkout"]!.post!.responses["409"]!.description!;
    for (const code of ["OUT_OF_STOCK", "CART_EMPTY", "IDEMPOTENCY_IN_PROGRESS"]) expect(conflict, code).toContain(`\`${code}\``);
    const badRequest = spec.paths["/v1/checkout"]!.post!.responses["400"]!.description!;
    expect(badRequest).toContain("`IDEMPOTENCY_KEY_REQUIRED`");
  });

  it("documents checkout's expectedTotal and 409 retry-after, the problem's extra members, order items' productId, payments' refundedAmount and ?status= on the order list", async () => {
    type Schema = { description?: string; properties?: Record<string, Schema>; items?: Schema; required?: string[]; $ref?: string; enum?: string[] };
    type Operation = { parameters?: { name: string; in: string; schema: Schema }[]; responses: Record<string, { headers?: Record<string, { $ref: string }> }> };
    type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
    const spec = (await api<Doc>("GET", "/v1/openapi.json")).body;
    const schemas = spec.components.schemas;
    expect(schemas.CheckoutRequest!.properties!.expectedTotal).toStrictEqual({ $ref: "#/components/schemas/ExpectedTotal" });
    expect(schemas.CheckoutRequest!.required).not.toContain("expectedTotal");
    expect(schemas.ExpectedTotal!.description).toContain("PRICE_CHANGED");
    // The description stays ExpectedTotal's: the shared MoneyTotal it copies carries none.
    expect(schemas.MoneyTotal!.description).toBeUndefined();
    const problem = schemas.Problem!;
    expect(Object.keys(problem.properties!)).toEqual(expect.arrayContaining(["orderId", "total", "expectedTotal"]));
    expect(Object.keys(problem.properties!.errors!.items!.properties!)).toStrictEqual(["path", "message", "sku", "requested", "available"]);
    expect(problem.description).toContain("PRICE_CHANGED");
    expect(schemas.OrderItem!.properties!.productId!.description).toEqual(expect.any(String));
    expect(schemas.OrderItem!.required).not.toContain("productId");
    expect(schemas.Payment!.properties!.refundedAmount).toStrictEqual({ $ref: "#/components/schemas/RefundedAmount" });
    expect(schemas.Payment!.required).not.toContain("refundedAmount");
    expect(schemas.RefundedAmount!.description).toContain("partial refund");
    const status = spec.paths["/v1/orders"]!.get!.parameters!.find((p) => p.name === "status");
    expect(status).toMatchObject({ in: "query", schema: { enum: ["pending", "paid", "shipped", "delivered", "failed", "cancelled"] } });
    expect(spec.paths["/v1/checkout"]!.post!.responses["409"]!.headers!["retry-after"]).toStrictEqual({ $ref: "#/components/headers/RetryAfter" });
  });

  it("documents what every operation may answer besides its own responses, and the headers every response carries", async () => {
    type Response = { $ref?: string; headers?: Record<string, { $ref: string }> };
    type Operation = { operationId?: string; requestBody?: unknown; parameters?: { in: string; name: string }[]; responses: Record<string, Response> };
    type Doc = { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };
    const spec = (await api<Doc>("GET", "/v1/openapi.json")).body;
    const operationIds: string[] = [];
    const refs = JSON.stringify(spec).match(/"#\/components\/[^"]+"/g) ?? [];
    for (const r of new Set(refs)) {
      const [, kind, name] = JSON.parse(r).split("/").slice(1) as string[];
      expect(spec.components[kind!]?.[name!], r).toBeDefined();
    }
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        expect(op.responses["400"], name).toBeDefined();
        expect(op.responses["429"], name).toBeDefined();
        expect(op.responses["503"], name).toBeDefined();
        expect(op.responses["500"], name).toStrictEqual({ $ref: "#/components/responses/InternalError" });
        // Every request's body is checked (size, content coding), whether or not the operation reads one.
        expect([op.responses["413"], op.responses["415"]], name).toStrictEqual([{ $ref: "#/components/responses/PayloadTooLarge" }, { $ref: "#/components/responses/UnsupportedMediaType" }]);
        operationIds.push(op.operationId ?? `(none on ${name})`);
        for (const [status, response] of Object.entries(op.responses)) {
          if (response.$ref) continue;
          expect(Object.keys(response.headers ?? {}), `${name} ${status}`).toEqual(expect.arrayContaining(["x-request-id", "x-edgeshop-version"]));
        }
      }
    }
    expect(new Set(operationIds).size).toBe(operationIds.length);
    expect(spec.paths["/v1/products/{id}"]!.get!.operationId).toBe("getProductsById");
    expect(spec.components.headers).toMatchObject({ RequestId: { required: true }, Version: { required: true } });
    expect(spec.paths["/v1/checkout"]!.post!.responses["201"]!.headers!["idempotent-replayed"]).toStrictEqual({ $ref: "#/components/headers/IdempotentReplayed" });
    expect(spec.components.responses!.RateLimited).toMatchObject({ headers: { "retry-after": { $ref: "#/components/headers/RetryAfter" } } });
    // API.md fixes /health's services: the document names and requires each.
    const services = ["users", "catalog", "orders", "payments", "shipping", "favourites", "database"];
    expect(spec.components.schemas!.Health).toMatchObject({ properties: { services: { required: services, properties: Object.fromEntries(services.map((s) => [s, { enum: ["ok", "down"] }])) } } });
  });

  it("documents every route the gateway serves in /v1/openapi.json", async () => {
    const spec = await api<{ paths: Record<string, Record<string, unknown>> }>("GET", "/v1/openapi.json");
    const documented = new Set(Object.entries(spec.body.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const served = createApp()
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(served).toContain("GET /docs");
    expect(served).toContain("GET /v1/openapi.json");
    expect(served.length).toBeGreaterThan(5);
    expect(served.filter((r) => !documented.has(r))).toStrictEqual([]);
  });
});
