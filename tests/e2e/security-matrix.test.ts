/**
 * OWASP API Security Top 10 (2023) matrix, driven by the OpenAPI document the
 * gateway serves: the operation list is read once from GET /v1/openapi.json
 * and every check is a loop over it, so a new route is covered (or, for the
 * lists a human has to judge, fails loudly) without anyone remembering it.
 *
 * - API2 broken authentication: every `security` operation x every bad token -> 401.
 * - API5 broken function-level authorisation: admin-only -> 403 for a customer,
 *   customer-only -> 403 for an admin.
 * - API1 broken object-level authorisation: another customer's real ids -> 404
 *   like a missing id, and the owner's resource is unchanged.
 * - API3 broken object property-level authorisation (mass assignment).
 * - API4 unrestricted resource consumption: list caps and the 1 MiB body limit.
 * Every response checked here also carries the gateway's security headers and,
 * when it is an error, no internals (stack traces, SQL, driver or file names).
 */
import { exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { Cart } from "../../shared/schemas/cart.ts";
import type { Order } from "../../shared/schemas/orders.ts";
import { adminToken, api, newCustomer, problemOf, unique, type ApiResponse, type TestUser } from "./client.ts";
import { addToCart, address, checkout, checkoutBody, eventually, inventory, product, SHIPPING_OPTION } from "./orders-support.ts";

// ---------------------------------------------------------------------------
// The operation list, built once from the served OpenAPI document
// ---------------------------------------------------------------------------

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  example?: unknown;
  minItems?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

interface SpecParameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema?: JsonSchema;
}

interface SpecOperation {
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: SpecParameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

interface Operation {
  /** "GET /v1/orders/{id}", as test names show it. */
  name: string;
  method: string;
  path: string;
  secured: boolean;
  adminOnly: boolean;
  customerOnly: boolean;
  documents: (status: number) => boolean;
  /** The resolved JSON schema of the request body, when the operation takes one. */
  bodySchema?: JsonSchema;
  parameters: SpecParameter[];
}

const spec = (await api<OpenApiDocument>("GET", "/v1/openapi.json")).body;

function resolve(schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const target = spec.components.schemas[schema.$ref.replace("#/components/schemas/", "")];
  if (!target) throw new Error(`unresolvable ${schema.$ref}`);
  return resolve(target);
}

/**
 * Admin-only rule, exact for this codebase: the summary contains "(admin)".
 * Every admin route's summary says so ("One user (admin)", "Delete a product
 * (admin); ..."), while routes open to owners say "(owner or admin)" and do
 * not match. Customer-only rule: the operation documents a 403 but is not
 * admin-only (API.md: "Cart (customer ...)" and "POST /v1/checkout (customer)").
 * The first API5 test pins both rules against the documented 403s.
 */
const operations: Operation[] = Object.entries(spec.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => {
    const documents = (status: number) => String(status) in op.responses;
    const adminOnly = /\(admin\)/.test(op.summary ?? "");
    const bodySchema = op.requestBody?.content["application/json"]?.schema;
    return {
      name: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      secured: (op.security ?? []).some((s) => "bearerAuth" in s),
      adminOnly,
      customerOnly: !adminOnly && documents(403),
      documents,
      ...(bodySchema ? { bodySchema: resolve(bodySchema) } : {}),
      parameters: op.parameters ?? [],
    };
  }),
);
const byName = (name: string): Operation => {
  const op = operations.find((o) => o.name === name);
  if (!op) throw new Error(`${name} is not in the OpenAPI document`);
  return op;
};

const secured = operations.filter((op) => op.secured);
const adminOnly = operations.filter((op) => op.adminOnly);
const customerOnly = operations.filter((op) => op.customerOnly);
const withBody = operations.filter((op) => op.bodySchema !== undefined);
const strictBodies = withBody.filter((op) => op.bodySchema?.additionalProperties === false);
const paginated = operations.filter((op) => op.method === "GET" && op.parameters.some((p) => p.in === "query" && p.name === "limit"));
/** Public operations authenticated by an HMAC header instead of a bearer token. */
const signedWebhooks = operations.filter((op) => !op.secured && op.parameters.some((p) => p.in === "header" && p.name === "edgeshop-signature"));
/** Sub-resources of one order: /v1/orders/{id} and everything under it. */
const orderScoped = secured.filter((op) => op.path.startsWith("/v1/orders/{id}"));
const cartLineScoped = secured.filter((op) => op.path.startsWith("/v1/cart/items/{sku}"));
const favouriteScoped = secured.filter((op) => op.path.startsWith("/v1/favourites/{productId}"));
/** Reads whose answer depends only on who calls: no path id, not admin-only. */
const callerScopedReads = secured.filter((op) => op.method === "GET" && !op.path.includes("{") && !op.adminOnly);

// ---------------------------------------------------------------------------
// Requests: placeholder ids, sample bodies, and who sends them
// ---------------------------------------------------------------------------

/** Id prefixes per collection (shared/ids.ts), so placeholders look like real ids that do not exist. */
const ID_PREFIX: Record<string, string> = { users: "usr", products: "prd", favourites: "prd", orders: "ord", shipments: "shm", options: "ship" };
const placeholderId = (collection: string) => `${ID_PREFIX[collection] ?? "id"}_000000000000ffffffffffffffff`;

function fillPath(path: string, value?: (collection: string, param: string) => string): string {
  return path.replace(/\/([^/{}]+)\/\{([^}]+)\}/g, (_m, collection: string, param: string) => {
    const id = value ? value(collection, param) : param === "sku" ? "SKU-PLACEHOLDER-0" : placeholderId(collection);
    return `/${collection}/${encodeURIComponent(id)}`;
  });
}

/** A minimal valid-looking value for a schema: its example, else its first enum value, else the required fields. */
function sample(schema: JsonSchema): unknown {
  const s = resolve(schema);
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  const choice = s.anyOf ?? s.oneOf;
  if (choice?.[0]) return sample(choice[0]);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "object":
      return Object.fromEntries((s.required ?? []).map((k) => [k, sample(s.properties?.[k] ?? {})]));
    case "array":
      return (s.minItems ?? 0) > 0 && s.items ? [sample(s.items)] : [];
    case "integer":
    case "number": {
      const n = Math.max(1, s.minimum ?? 1);
      return s.maximum === undefined ? n : Math.min(n, s.maximum);
    }
    case "boolean":
      return true;
    default:
      return "x".repeat(Math.max(1, s.minLength ?? 1));
  }
}

function requiredQuery(op: Operation): string {
  const qs = new URLSearchParams(op.parameters.filter((p) => p.in === "query" && p.required).map((p) => [p.name, String(sample(p.schema ?? {}))]));
  return qs.size > 0 ? `?${qs}` : "";
}

function requiredHeaders(op: Operation): Record<string, string> {
  return Object.fromEntries(op.parameters.filter((p) => p.in === "header" && p.required).map((p) => [p.name, unique(p.name)]));
}

interface Overrides {
  path?: string;
  authorization?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** The operation with placeholder ids, its required query and headers and a sample body, as `authorization` (none when undefined). */
function call(op: Operation, o: Overrides = {}): Promise<ApiResponse> {
  const headers = { ...requiredHeaders(op), ...(o.authorization === undefined ? {} : { authorization: o.authorization }), ...o.headers };
  const body = o.rawBody !== undefined ? { rawBody: o.rawBody } : o.body !== undefined ? { body: o.body } : op.bodySchema ? { body: sample(op.bodySchema) } : {};
  return api(op.method, o.path ?? `${fillPath(op.path)}${requiredQuery(op)}`, { ...body, headers });
}

const bearer = (token: string) => `Bearer ${token}`;

// ---------------------------------------------------------------------------
// What every response must look like
// ---------------------------------------------------------------------------

/** Set on every API response by the gateway's secureHeaders middleware (API_HEADERS in workers/gateway/src/app.ts). */
const SECURITY_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "cross-origin",
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=15552000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "x-permitted-cross-domain-policies": "none",
  "x-xss-protection": "0",
};
/** HTML-document headers: only the /docs page carries them. */
const DOCUMENT_ONLY_HEADERS = ["origin-agent-cluster", "x-dns-prefetch-control", "x-download-options"];

/** Stack frames, SQL, driver and runtime error names, source file positions. */
const LEAKS = /\bat [\w$.<>]+ \(|stack|SELECT |INSERT |UPDATE |DELETE FROM|postgres|drizzle|neon|pglite|TypeError|ReferenceError|SyntaxError|RangeError|\.ts:\d+|\.js:\d+|node_modules|workers\//i;

function expectSecureResponse(res: ApiResponse): void {
  expect(Object.fromEntries(Object.keys(SECURITY_HEADERS).map((h) => [h, res.headers.get(h)]))).toStrictEqual(SECURITY_HEADERS);
  expect(res.headers.get("x-powered-by")).toBeNull();
  expect(DOCUMENT_ONLY_HEADERS.filter((h) => res.headers.has(h))).toStrictEqual([]);
  expect(res.headers.get("x-request-id")).toEqual(expect.any(String));
  expect(res.headers.get("x-edgeshop-version")).toEqual(expect.any(String));
  if (res.status >= 400) {
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(typeof res.body === "string" ? res.body : JSON.stringify(res.body)).not.toMatch(LEAKS);
  }
}

function expectProblem(res: ApiResponse, status: number, code: string, extra: Record<string, unknown> = {}): void {
  expect({ status: res.status, body: res.body }).toStrictEqual({ status, body: problemOf(status, code, extra) });
  expectSecureResponse(res);
}

/** Problem bodies compared without their per-request id. */
const withoutRequestId = (body: unknown) => ({ ...(body as Record<string, unknown>), requestId: "<id>" });

// ---------------------------------------------------------------------------
// Shared, read-only fixtures (each test creates whatever it changes itself)
// ---------------------------------------------------------------------------

const JWT = { secret: new TextEncoder().encode("local-dev-jwt-secret-change-me-0123456789"), issuer: "edgeshop", audience: "edgeshop-api" };
const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

let admin = "";
let shopper: TestUser;
/** Authorization header values that must all be refused. Forged ones claim `role: admin` to make a bypass obvious. */
const BAD_AUTH: Record<string, string | undefined> = {};
const BAD_AUTH_CASES = [
  "no Authorization header",
  "a malformed token",
  "a non-Bearer scheme",
  "an expired token",
  "a token for another audience",
  "a token from another issuer",
  "a wrongly signed token",
  "an alg:none token",
  "a token with an unknown role",
  "a valid token with its signature padded",
  "a valid token with stray bits in its signature's last character",
] as const;

/** The same signature bytes with a low, unused bit of the last base64url character set. */
function withStrayBits(token: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) + 1]}`;
}

beforeAll(async () => {
  admin = await adminToken();
  shopper = await newCustomer("Matrix Shopper");
  const claims = (role: string) => new SignJWT({ role }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(shopper.id);
  const valid = (role: string) => claims(role).setIssuer(JWT.issuer).setAudience(JWT.audience).setIssuedAt().setExpirationTime("1h");
  const now = Math.floor(Date.now() / 1000);
  Object.assign(BAD_AUTH, {
    "no Authorization header": undefined,
    "a malformed token": bearer("garbage"),
    "a non-Bearer scheme": `Basic ${btoa(`${shopper.email}:password123`)}`,
    "an expired token": bearer(await claims("admin").setIssuer(JWT.issuer).setAudience(JWT.audience).setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(JWT.secret)),
    "a token for another audience": bearer(await claims("admin").setIssuer(JWT.issuer).setAudience("someone-else").setExpirationTime("1h").sign(JWT.secret)),
    "a token from another issuer": bearer(await claims("admin").setIssuer("not-edgeshop").setAudience(JWT.audience).setExpirationTime("1h").sign(JWT.secret)),
    "a wrongly signed token": bearer(await valid("admin").sign(new TextEncoder().encode("not-the-secret-not-the-secret-not-the-secret"))),
    "an alg:none token": bearer(`${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: shopper.id, role: "admin", iss: JWT.issuer, aud: JWT.audience, exp: now + 3600 })}.`),
    "a token with an unknown role": bearer(await valid("superuser").sign(JWT.secret)),
    // Another spelling of a valid token (base64 decoders take both): one token has one spelling.
    "a valid token with its signature padded": bearer(`${await valid("admin").sign(JWT.secret)}=`),
    "a valid token with stray bits in its signature's last character": bearer(withStrayBits(await valid("admin").sign(JWT.secret))),
  });
  // Control: a token forged exactly like the bad ones but with every property right is accepted,
  // so each refusal below is caused by the one property that differs.
  expect((await api("GET", "/v1/me", { headers: { authorization: bearer(await valid("customer").sign(JWT.secret)) } })).status).toBe(200);
});

/** The token an operation's intended caller uses: admin for admin-only routes, a customer otherwise. */
const authorisedFor = (op: Operation) => bearer(op.adminOnly ? admin : shopper.token);

// ---------------------------------------------------------------------------
// The document itself
// ---------------------------------------------------------------------------

describe("the operation list", () => {
  it("covers the documented API, and every unauthenticated operation is a deliberate one", () => {
    expect(operations.length).toBeGreaterThan(30);
    // A new public route must be added here on purpose: everything else has to carry `security`.
    expect(operations.filter((op) => !op.secured).map((op) => op.name).sort()).toStrictEqual(
      [
        "GET /docs",
        "GET /health",
        "GET /v1/categories",
        "GET /v1/openapi.json",
        "GET /v1/products",
        "GET /v1/products/{id}",
        "GET /v1/shipping/options",
        "POST /v1/auth/login",
        "POST /v1/auth/register",
        "POST /v1/webhooks/carrier",
        "POST /v1/webhooks/payments",
        // Stripe's own events: Stripe authenticates with `Stripe-Signature` (its endpoint secret), never a bearer token.
        "POST /v1/webhooks/stripe",
      ].sort(),
    );
    expect(secured.filter((op) => !op.documents(401)).map((op) => op.name)).toStrictEqual([]);
    expect(signedWebhooks.map((op) => op.name).sort()).toStrictEqual(["POST /v1/webhooks/carrier", "POST /v1/webhooks/payments"]);
    // Signed by Stripe instead; this stack's test provider takes no Stripe webhooks (the e2e-stripe project checks its signatures).
    expect(byName("POST /v1/webhooks/stripe").parameters.filter((p) => p.in === "header").map((p) => [p.name, p.required])).toStrictEqual([["stripe-signature", true]]);
    expect(withBody.length).toBeGreaterThan(15);
    expect(strictBodies.map((op) => op.name).sort()).toStrictEqual(
      ["PATCH /v1/me", "PATCH /v1/me/addresses/{id}", "POST /v1/shipments/{id}/events", "POST /v1/shipping/options", "POST /v1/shipping/zones", "PUT /v1/shipping/options/{id}", "PUT /v1/shipping/zones/{id}"].sort(),
    );
  });
});

// ---------------------------------------------------------------------------
// API2: broken authentication
// ---------------------------------------------------------------------------

describe.each(secured)("API2 authentication: $name", (op) => {
  it.each(BAD_AUTH_CASES)("is 401 UNAUTHENTICATED with %s", async (authCase) => {
    const authorization = BAD_AUTH[authCase];
    const res = await call(op, authorization === undefined ? {} : { authorization });
    expectProblem(res, 401, "UNAUTHENTICATED");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="edgeshop"');
  });

  it("is 401 before any validation: no token, over-long ids, missing headers and a malformed body", async () => {
    const path = fillPath(op.path, () => "x".repeat(65));
    const res = await api(op.method, path, op.bodySchema ? { rawBody: "{not json" } : {});
    expectProblem(res, 401, "UNAUTHENTICATED");
  });
});

describe("API2 authentication of POST /v1/webhooks/stripe", () => {
  it.each([
    ["no signature", {}],
    ["a forged signature", { "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` }],
    ["a bearer token instead of a signature", { authorization: "Bearer x.y.z" }],
  ] as const)("is 404 NOT_FOUND with %s while the payments Worker is not on the Stripe provider", async (_case, headers) => {
    const op = byName("POST /v1/webhooks/stripe");
    expectProblem(await api(op.method, op.path, { body: sample(op.bodySchema ?? {}), headers }), 404, "NOT_FOUND");
  });
});

describe.each(signedWebhooks)("API2 authentication of the signed webhook $name", (op) => {
  it.each([
    ["no signature", {}],
    ["a forged signature", { "edgeshop-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` }],
    ["a bearer token instead of a signature", { authorization: "Bearer x.y.z" }],
  ] as const)("is 400 INVALID_SIGNATURE with %s", async (_case, headers) => {
    // Not `call`: it would fill the required signature header with a placeholder.
    expectProblem(await api(op.method, op.path, { body: sample(op.bodySchema ?? {}), headers }), 400, "INVALID_SIGNATURE");
  });
});

// ---------------------------------------------------------------------------
// API5: broken function-level authorisation
// ---------------------------------------------------------------------------

describe("API5 function-level authorisation", () => {
  it("classifies every operation that documents a 403 as admin-only or customer-only (cart, checkout, favourites)", () => {
    expect(operations.filter((op) => op.documents(403) !== (op.adminOnly || op.customerOnly)).map((op) => op.name)).toStrictEqual([]);
    expect(adminOnly.filter((op) => !op.secured).map((op) => op.name)).toStrictEqual([]);
    expect(customerOnly.map((op) => op.name).sort()).toStrictEqual(
      [
        "GET /v1/cart", "DELETE /v1/cart", "POST /v1/cart/items", "PATCH /v1/cart/items/{sku}", "DELETE /v1/cart/items/{sku}", "POST /v1/checkout",
        "GET /v1/favourites", "PUT /v1/favourites/{productId}", "DELETE /v1/favourites/{productId}",
      ].sort(),
    );
    expect(adminOnly.length).toBeGreaterThan(10);
  });

  it.each(adminOnly)("$name (admin) is 403 FORBIDDEN for a customer", async (op) => {
    expectProblem(await call(op, { authorization: bearer(shopper.token) }), 403, "FORBIDDEN");
  });

  it.each(customerOnly)("$name (customer) is 403 FORBIDDEN for an admin", async (op) => {
    expectProblem(await call(op, { authorization: bearer(admin) }), 403, "FORBIDDEN");
  });

  it("a customer's token stays a customer's: /v1/users is 403 even with ?role=admin or an X-Role header", async () => {
    const users = byName("GET /v1/users");
    expectProblem(await call(users, { authorization: bearer(shopper.token), path: "/v1/users?role=admin" }), 403, "FORBIDDEN");
    expectProblem(await call(users, { authorization: bearer(shopper.token), headers: { "x-role": "admin", "x-user-role": "admin" } }), 403, "FORBIDDEN");
  });
});

// ---------------------------------------------------------------------------
// API1: broken object-level authorisation
// ---------------------------------------------------------------------------

interface OwnedOrder {
  owner: TestUser;
  intruder: TestUser;
  order: Order;
  sku: string;
}

/** A paid order of a fresh SKU, settled: Postgres lists it and its shipment exists. */
async function ownedOrder(): Promise<OwnedOrder> {
  const [owner, intruder] = await Promise.all([newCustomer("Owner"), newCustomer("Intruder")]);
  const [variant] = await product(admin, [5]);
  if (!variant) throw new Error("no variant");
  expect((await addToCart(owner.token, variant.sku, 2)).status).toBe(200);
  const placed = await checkout(owner.token);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const order = placed.body;
  await eventually(async () => {
    const listed = await api<{ items: Order[] }>("GET", "/v1/orders", { token: owner.token });
    expect(listed.body.items.map((o) => o.id)).toContain(order.id);
    expect((await api("GET", `/v1/orders/${order.id}/shipment`, { token: owner.token })).status).toBe(200);
  }, 10_000);
  return { owner, intruder, order, sku: variant.sku };
}

/** Everything the owner and an admin can see of an order. */
async function orderState(o: OwnedOrder) {
  const read = async (path: string) => {
    const res = await api("GET", path, { token: o.owner.token });
    return { status: res.status, body: res.body };
  };
  return {
    order: await read(`/v1/orders/${o.order.id}`),
    payments: await read(`/v1/orders/${o.order.id}/payments`),
    shipment: await read(`/v1/orders/${o.order.id}/shipment`),
    list: await read("/v1/orders"),
    stock: await inventory(admin, o.sku),
  };
}

describe("API1 object-level authorisation", () => {
  it("covers every order sub-resource, cart line and favourite route", () => {
    expect(orderScoped.map((op) => op.name).sort()).toStrictEqual(
      ["GET /v1/orders/{id}", "GET /v1/orders/{id}/payments", "GET /v1/orders/{id}/shipment", "POST /v1/orders/{id}/cancel"].sort(),
    );
    expect(cartLineScoped.map((op) => op.name).sort()).toStrictEqual(["DELETE /v1/cart/items/{sku}", "PATCH /v1/cart/items/{sku}"]);
    expect(favouriteScoped.map((op) => op.name).sort()).toStrictEqual(["DELETE /v1/favourites/{productId}", "PUT /v1/favourites/{productId}"]);
  });

  it.each(orderScoped)("$name with another customer's order id is 404 NOT_FOUND like a missing id, and changes nothing", async (op) => {
    const owned = await ownedOrder();
    const before = await orderState(owned);
    expect(before.order).toStrictEqual({ status: 200, body: { ...owned.order, updatedAt: expect.any(String) } });

    const theirs = await call(op, { authorization: bearer(owned.intruder.token), path: fillPath(op.path, () => owned.order.id) });
    expectProblem(theirs, 404, "NOT_FOUND");
    const missing = await call(op, { authorization: bearer(owned.intruder.token) });
    expectProblem(missing, 404, "NOT_FOUND");
    expect(withoutRequestId(theirs.body)).toStrictEqual(withoutRequestId(missing.body));

    expect(await orderState(owned)).toStrictEqual(before);
    // Control: the same request by the owner succeeds, so the 404 was about ownership.
    const mine = await call(op, { authorization: bearer(owned.owner.token), path: fillPath(op.path, () => owned.order.id) });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expectSecureResponse(mine);
  });

  it("GET /v1/orders ignores a customer's ?userId= and shows only their own orders", async () => {
    const owned = await ownedOrder();
    const res = await api("GET", `/v1/orders?userId=${owned.owner.id}`, { token: owned.intruder.token });
    expect({ status: res.status, body: res.body }).toStrictEqual({ status: 200, body: { items: [], nextCursor: null } });
    expectSecureResponse(res);
  });

  it.each(cartLineScoped)("$name on a SKU only in another customer's cart is 404 NOT_FOUND and leaves that cart unchanged", async (op) => {
    const [owner, intruder] = await Promise.all([newCustomer("Owner"), newCustomer("Intruder")]);
    const [variant] = await product(admin, [5]);
    if (!variant) throw new Error("no variant");
    const before = await addToCart(owner.token, variant.sku, 2);
    expect(before.status).toBe(200);

    const res = await call(op, { authorization: bearer(intruder.token), path: fillPath(op.path, () => variant.sku), ...(op.bodySchema ? { body: { quantity: 1 } } : {}) });
    expectProblem(res, 404, "NOT_FOUND");
    expect((await api<Cart>("GET", "/v1/cart", { token: owner.token })).body).toStrictEqual(before.body);
    expect((await api<Cart>("GET", "/v1/cart", { token: intruder.token })).body.items).toStrictEqual([]);
  });

  it.each(favouriteScoped)("$name by another customer acts on their own favourites only", async (op) => {
    const [owner, intruder] = await Promise.all([newCustomer("Owner"), newCustomer("Intruder")]);
    const [variant] = await product(admin, [1]);
    if (!variant) throw new Error("no variant");
    expect((await api("PUT", `/v1/favourites/${variant.productId}`, { token: owner.token })).status).toBe(204);
    const before = await api("GET", "/v1/favourites", { token: owner.token });
    expect(before.body).toStrictEqual({ items: [{ productId: variant.productId, addedAt: expect.any(String) }] });

    const res = await call(op, { authorization: bearer(intruder.token), path: fillPath(op.path, () => variant.productId) });
    expect({ status: res.status, body: res.body }).toStrictEqual({ status: 204, body: null });
    expectSecureResponse(res);
    expect((await api("GET", "/v1/favourites", { token: owner.token })).body).toStrictEqual(before.body);
  });

  it("every caller-scoped read shows another customer nothing of the first one's account, addresses, favourites, cart or orders", async () => {
    const owned = await ownedOrder();
    const { owner, intruder } = owned;
    const secretLine = unique("1 Secret Lane");
    expect((await api("POST", "/v1/me/addresses", { token: owner.token, body: { ...address, line1: secretLine } })).status).toBe(201);
    const [variant] = await product(admin, [3]);
    if (!variant) throw new Error("no variant");
    expect((await api("PUT", `/v1/favourites/${variant.productId}`, { token: owner.token })).status).toBe(204);
    expect((await addToCart(owner.token, variant.sku, 1)).status).toBe(200);
    const markers = [owner.id, owner.email, secretLine, variant.productId, variant.sku, owned.order.id, owned.sku];

    expect(callerScopedReads.length).toBeGreaterThanOrEqual(5);
    const leaks: string[] = [];
    for (const op of callerScopedReads) {
      // Any ?userId= filter is pointed at the owner: a customer's filter must be ignored.
      const userIdFilter = op.parameters.some((p) => p.in === "query" && p.name === "userId") ? `?userId=${owner.id}` : "";
      const res = await call(op, { authorization: bearer(intruder.token), path: `${op.path}${userIdFilter}` });
      expect(res.status, `${op.name}: ${JSON.stringify(res.body)}`).toBe(200);
      expectSecureResponse(res);
      const text = JSON.stringify(res.body);
      for (const marker of markers) if (text.includes(marker)) leaks.push(`${op.name} shows ${marker}`);
    }
    expect(leaks).toStrictEqual([]);
  });
});

// ---------------------------------------------------------------------------
// API3: broken object property-level authorisation (mass assignment)
// ---------------------------------------------------------------------------

/** API.md: unknown body fields are "ignored or refused with 400, never applied". Which one is the schema's choice. */
const isStrict = (name: string) => byName(name).bodySchema?.additionalProperties === false;

describe("API3 property-level authorisation", () => {
  it.each(strictBodies)("$name refuses an unknown field with 400 VALIDATION_FAILED naming it", async (op) => {
    const body = { ...(sample(op.bodySchema ?? {}) as Record<string, unknown>), role: "admin" };
    const res = await call(op, { authorization: authorisedFor(op), body });
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: expect.arrayContaining([{ path: "role", message: expect.any(String) }]) }));
    expectSecureResponse(res);
  });

  it("names each unknown field once, and lists at most 100: 10,000 unknown fields are a small 400, not a 500", async () => {
    const op = byName("PATCH /v1/me");
    for (const count of [3, 10_000]) {
      const body = { name: "Ada", ...Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 1])) };
      const res = await call(op, { authorization: authorisedFor(op), body });
      expect(res.status).toBe(400);
      const listed = Math.min(count, 100);
      expect(res.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", {
        detail: count > 100 ? `The request is not valid: ${count} problems, the first 100 listed.` : "The request is not valid.",
        errors: Array.from({ length: listed }, (_, i) => ({ path: `k${i}`, message: "Unrecognized key" })),
      }));
      expect(JSON.stringify(res.body).length).toBeLessThan(10_000);
    }
  });

  it("POST /v1/auth/register ignores role, id and createdAt: the account is a customer", async () => {
    expect(isStrict("POST /v1/auth/register")).toBe(false);
    const email = `${unique("mass")}@example.com`;
    const res = await api<{ user: { id: string; createdAt: string }; token: string }>("POST", "/v1/auth/register", {
      body: { email, password: "password123", name: "Mallory", role: "admin", id: "usr_000000000000000000000000000a", createdAt: "2000-01-01T00:00:00.000Z" },
    });
    expect({ status: res.status, body: res.body }).toStrictEqual({
      status: 201,
      body: { user: { id: expect.stringMatching(/^usr_/), email, name: "Mallory", role: "customer", createdAt: expect.any(String) }, token: expect.any(String) },
    });
    expectSecureResponse(res);
    expect(res.body.user.id).not.toBe("usr_000000000000000000000000000a");
    expect(res.body.user.createdAt).not.toBe("2000-01-01T00:00:00.000Z");
    expectProblem(await api("GET", "/v1/users", { token: res.body.token }), 403, "FORBIDDEN");
  });

  it("PATCH /v1/me refuses role, email and id with 400 and applies nothing, not even the name", async () => {
    expect(isStrict("PATCH /v1/me")).toBe(true);
    const me = await newCustomer("Keep");
    const res = await api("PATCH", "/v1/me", { token: me.token, body: { name: "Changed", role: "admin", email: "evil@example.com", id: "usr_000000000000000000000000000a" } });
    expectProblem(res, 400, "VALIDATION_FAILED", {
      errors: [
        { path: "role", message: expect.any(String) },
        { path: "email", message: expect.any(String) },
        { path: "id", message: expect.any(String) },
      ],
    });
    expect((await api("GET", "/v1/me", { token: me.token })).body).toStrictEqual({ id: me.id, email: me.email, name: "Keep", role: "customer", createdAt: expect.any(String) });
  });

  it("POST /v1/me/addresses ignores id and userId: the address is the caller's, with a fresh id", async () => {
    expect(isStrict("POST /v1/me/addresses")).toBe(false);
    const [me, other] = await Promise.all([newCustomer(), newCustomer()]);
    const res = await api("POST", "/v1/me/addresses", { token: me.token, body: { ...address, id: "adr_000000000000000000000000000a", userId: other.id } });
    expect({ status: res.status, body: res.body }).toStrictEqual({ status: 201, body: { id: expect.stringMatching(/^adr_/), ...address, line2: null } });
    expectSecureResponse(res);
    expect((res.body as { id: string }).id).not.toBe("adr_000000000000000000000000000a");
    expect((await api("GET", "/v1/me/addresses", { token: me.token })).body).toStrictEqual({ items: [res.body] });
    expect((await api("GET", "/v1/me/addresses", { token: other.token })).body).toStrictEqual({ items: [] });
  });

  it("POST /v1/cart/items and PATCH /v1/cart/items/{sku} ignore price, unitPrice, lineTotal and title: the cart keeps the catalog's", async () => {
    expect(isStrict("POST /v1/cart/items")).toBe(false);
    expect(isStrict("PATCH /v1/cart/items/{sku}")).toBe(false);
    const me = await newCustomer();
    const [v] = await product(admin, [10], 4321);
    if (!v) throw new Error("no variant");
    const forged = { amount: 1, currency: "USD" };
    const line = (quantity: number) => ({ sku: v.sku, productId: v.productId, title: v.title, quantity, unitPrice: v.price, lineTotal: { amount: v.price.amount * quantity, currency: "USD" } });
    const cart = (quantity: number) => ({ id: expect.any(String), items: [line(quantity)], subtotal: { amount: v.price.amount * quantity, currency: "USD" }, updatedAt: expect.any(String) });

    const added = await api("POST", "/v1/cart/items", { token: me.token, body: { sku: v.sku, quantity: 2, price: forged, unitPrice: forged, lineTotal: forged, title: "Free", productId: "prd_x" } });
    expect({ status: added.status, body: added.body }).toStrictEqual({ status: 200, body: cart(2) });
    expectSecureResponse(added);
    const patched = await api("PATCH", `/v1/cart/items/${v.sku}`, { token: me.token, body: { quantity: 3, unitPrice: forged, subtotal: forged } });
    expect({ status: patched.status, body: patched.body }).toStrictEqual({ status: 200, body: cart(3) });
    expect((await api("GET", "/v1/cart", { token: me.token })).body).toStrictEqual(cart(3));
  });

  it("POST /v1/checkout ignores userId, status, totals, items and payment: the order is the caller's, paid at catalog prices", async () => {
    expect(isStrict("POST /v1/checkout")).toBe(false);
    const [me, other] = await Promise.all([newCustomer(), newCustomer()]);
    const [v] = await product(admin, [5], 2500);
    if (!v) throw new Error("no variant");
    expect((await addToCart(me.token, v.sku, 1)).status).toBe(200);
    const forged = { amount: 1, currency: "USD" };
    const res = await checkout(me.token, {
      ...checkoutBody(),
      id: "ord_000000000000000000000000000a",
      userId: other.id,
      status: "delivered",
      subtotal: forged,
      shipping: forged,
      total: forged,
      items: [{ sku: v.sku, quantity: 4, unitPrice: forged }],
      payment: { status: "captured", last4: "0000" },
    });
    expect({ status: res.status, body: res.body }).toStrictEqual({
      status: 201,
      body: {
        id: expect.stringMatching(/^ord_/),
        userId: me.id,
        status: "paid",
        items: [{ sku: v.sku, productId: v.productId, title: v.title, quantity: 1, unitPrice: v.price, lineTotal: v.price }],
        subtotal: v.price,
        shipping: { amount: expect.any(Number), currency: "USD" },
        total: { amount: expect.any(Number), currency: "USD" },
        shippingAddress: address,
        shippingOptionId: SHIPPING_OPTION,
        payment: { id: expect.any(String), status: "captured", last4: "4242" },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    });
    expectSecureResponse(res);
    expect(res.body.id).not.toBe("ord_000000000000000000000000000a");
    expect(res.body.total.amount).toBe(v.price.amount + res.body.shipping.amount);
    expect(res.body.total.amount).not.toBe(forged.amount);
    expect(await inventory(admin, v.sku)).toStrictEqual({ sku: v.sku, onHand: 4, reserved: 0, available: 4 });
    expect((await api("GET", "/v1/orders", { token: other.token })).body).toStrictEqual({ items: [], nextCursor: null });
  });

  it("PATCH /v1/products/{id} (admin) ignores id, createdAt and variant stock: only the documented fields change", async () => {
    expect(isStrict("PATCH /v1/products/{id}")).toBe(false);
    const [v] = await product(admin, [5], 1000);
    if (!v) throw new Error("no variant");
    const before = await api<{ id: string; variants: { sku: string }[] }>("GET", `/v1/products/${v.productId}`);
    expect(before.status).toBe(200);
    const forgedId = "prd_000000000000000000000000000a";
    const res = await api("PATCH", `/v1/products/${v.productId}`, {
      token: admin,
      body: {
        id: forgedId,
        createdAt: "2000-01-01T00:00:00.000Z",
        title: "Renamed",
        variants: [{ sku: v.sku, price: { amount: 1500, currency: "USD" }, available: 9999, initialStock: 9999, onHand: 9999, productId: forgedId }],
      },
    });
    const expected = {
      ...before.body,
      title: "Renamed",
      variants: before.body.variants.map((variant) => ({ ...variant, price: { amount: 1500, currency: "USD" } })),
      updatedAt: expect.any(String),
    };
    expect({ status: res.status, body: res.body }).toStrictEqual({ status: 200, body: expected });
    expectSecureResponse(res);
    expect((await api("GET", `/v1/products/${v.productId}`)).body).toStrictEqual(expected);
    expect(await inventory(admin, v.sku)).toStrictEqual({ sku: v.sku, onHand: 5, reserved: 0, available: 5 });
    expectProblem(await api("GET", `/v1/products/${forgedId}`), 404, "NOT_FOUND");
  });

  it("POST /v1/inventory/{sku}/adjustments (admin) ignores onHand, reserved and available: only the delta applies", async () => {
    expect(isStrict("POST /v1/inventory/{sku}/adjustments")).toBe(false);
    const [v] = await product(admin, [5]);
    if (!v) throw new Error("no variant");
    const res = await api("POST", `/v1/inventory/${v.sku}/adjustments`, { token: admin, body: { delta: 1, reason: "recount", onHand: 9999, reserved: -5, available: 9999, sku: "OTHER-SKU" } });
    expect({ status: res.status, body: res.body }).toStrictEqual({ status: 200, body: { sku: v.sku, onHand: 6, reserved: 0, available: 6 } });
    expectSecureResponse(res);
    expect(await inventory(admin, v.sku)).toStrictEqual({ sku: v.sku, onHand: 6, reserved: 0, available: 6 });
  });
});

// ---------------------------------------------------------------------------
// API4: unrestricted resource consumption
// ---------------------------------------------------------------------------

const MIB = 1024 * 1024;

/** The same request with a streamed body, so no content-length tells the gateway the size up front. */
async function streamed(op: Operation, rawBody: string, headers: Record<string, string>): Promise<ApiResponse> {
  const chunk = new TextEncoder().encode(rawBody);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < chunk.length; i += 64 * 1024) controller.enqueue(chunk.subarray(i, i + 64 * 1024));
      controller.close();
    },
  });
  const init = { method: op.method, headers: { ...headers, "content-type": "application/json" }, body, duplex: "half" };
  const req = new Request(`http://edgeshop.test${fillPath(op.path)}${requiredQuery(op)}`, init as RequestInit);
  expect(req.headers.get("content-length")).toBeNull();
  const res = await exports.default.fetch(req);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.length > 0 ? (JSON.parse(text) as unknown) : null };
}

describe("API4 resource consumption", () => {
  it("finds the paginated lists", () => {
    expect(paginated.map((op) => op.name).sort()).toStrictEqual(["GET /v1/admin/dead-letters", "GET /v1/admin/notifications", "GET /v1/inventory/{sku}/ledger", "GET /v1/orders", "GET /v1/products", "GET /v1/users"]);
  });

  it.each(paginated)("$name documents limit 1-100 and refuses anything else with 400", async (op) => {
    const limit = op.parameters.find((p) => p.name === "limit")?.schema;
    expect({ minimum: limit?.minimum, maximum: limit?.maximum }).toStrictEqual({ minimum: 1, maximum: 100 });
    const who = op.secured ? { authorization: authorisedFor(op) } : {};
    // A list under a SKU (its stock ledger) is listed for a SKU that exists.
    const [variant] = op.path.includes("{sku}") ? await product(admin, [5]) : [];
    const path = variant ? fillPath(op.path, () => variant.sku) : op.path;
    // Plain digits only: `1e1`, `0x10`, `+10`, `10.0` and ` 10` name 10 to Number(), not to a client reading the docs.
    for (const value of ["101", "1000000", "0", "-1", "1e3", "1e1", "0x10", "%2B10", "10.0", "%2010", ""]) {
      expectProblem(await call(op, { ...who, path: `${path}?limit=${value}` }), 400, "VALIDATION_FAILED", { errors: [{ path: "limit", message: expect.any(String) }] });
    }
    const atCap = await call(op, { ...who, path: `${path}?limit=100` });
    expect(atCap.status).toBe(200);
    expectSecureResponse(atCap);
    expect((atCap.body as { items: unknown[] }).items.length).toBeLessThanOrEqual(100);
  });

  it.each(withBody)("$name refuses a body over 1 MiB with 413 PAYLOAD_TOO_LARGE, with or without content-length", async (op) => {
    const rawBody = JSON.stringify({ ...(sample(op.bodySchema ?? {}) as Record<string, unknown>), padding: "x".repeat(MIB) });
    expect(rawBody.length).toBeGreaterThan(MIB);
    const authorization: Record<string, string> = op.secured ? { authorization: authorisedFor(op) } : {};
    expectProblem(await call(op, { ...authorization, rawBody }), 413, "PAYLOAD_TOO_LARGE");
    expectProblem(await streamed(op, rawBody, { ...requiredHeaders(op), ...authorization }), 413, "PAYLOAD_TOO_LARGE");
  });
});
