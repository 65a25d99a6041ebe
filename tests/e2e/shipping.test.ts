import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { COUNTRY_CODES } from "../../shared/schemas/iso-codes.ts";
import { MAX_CART_WEIGHT_GRAMS } from "../../shared/schemas/shipping.ts";
import { priceFor } from "../../workers/shipping/src/rates.ts";
import { signCarrierWebhook } from "../../workers/shipping/src/webhook.ts";
import { adminToken, api as call, newCustomer, problemOf, unique } from "./client.ts";
import { addToCart, address, checkout, eventually, product } from "./orders-support.ts";

/**
 * Concurrent Postgres traffic runs on real PostgreSQL only: PGlite is one
 * session behind pglite-socket, which interleaves the protocol messages of
 * concurrent connections (unnamed statements and portals get crossed), so
 * concurrency there tests the harness, not this code.
 */
// Real concurrency against the database (on PGlite the local proxy serialises sessions).
const concurrently = it;

let admin = "";
let customer = "";

beforeAll(async () => {
  admin = await adminToken();
  customer = (await newCustomer()).token;
});

const shipping = (env as unknown as GatewayEnv).SHIPPING;
const SECRET = "whsec_carrier_local";

/** Status and body only, so each assertion states both exactly. */
async function api(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {}) {
  const res = await call<unknown>(method, path, opts);
  return { status: res.status, body: res.body };
}
const problem = (status: number, code: string, errors?: { path: string; message: unknown }[]) => problemOf(status, code, errors ? { errors } : {});
const usd = (amount: number) => ({ amount, currency: "USD" });

/**
 * Real countries no seeded zone names (so the rest-of-world zone serves them), for test-only zones;
 * JP stays out, as the rest-of-world test asks for it.
 */
const SEEDED = new Set(["US", "JP", "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"]);
const TEST_COUNTRIES = [...COUNTRY_CODES].filter((c) => !SEEDED.has(c));

/** A zone of its own for a test, on a code no other zone holds (409 means taken: try another). */
async function zone(): Promise<{ id: string; country: string }> {
  for (let i = 0; i < 60; i++) {
    const country = TEST_COUNTRIES[Math.floor(Math.random() * TEST_COUNTRIES.length)] ?? "XA";
    const res = await api("POST", "/v1/shipping/zones", { token: admin, body: { name: unique("zone"), countries: [country] } });
    if (res.status === 201) return { id: (res.body as { id: string }).id, country };
    expect(res.status).toBe(409);
  }
  throw new Error("no free test country code");
}

async function option(zoneId: string, rates = [{ minWeightGrams: 0, baseAmount: 500, perKgAmount: 100 }]) {
  const res = await api("POST", "/v1/shipping/options", { token: admin, body: { zoneId, name: "Courier", estimatedDays: 3, rates } });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

/** A product of one variant weighing `weightGrams` (left out: the catalog's default), with `stock` units. */
async function weighed(weightGrams: number | undefined, stock: number): Promise<{ productId: string; sku: string; price: { amount: number; currency: string } }> {
  const tag = unique("w").toLowerCase();
  const cat = await api("POST", "/v1/categories", { token: admin, body: { name: `Freight ${tag}`, slug: `freight-${tag}` } });
  expect(cat.status).toBe(201);
  const sku = `W-${tag}`;
  const price = usd(100);
  const variant = { sku, title: "One", price, initialStock: stock, ...(weightGrams === undefined ? {} : { weightGrams }) };
  const res = await api("POST", "/v1/products", { token: admin, body: { title: `Anvil ${tag}`, description: "Heavy.", categoryId: (cat.body as { id: string }).id, variants: [variant] } });
  expect(res.status).toBe(201);
  return { productId: (res.body as { id: string }).id, sku, price };
}

/** An admin's two-band per-kg option: 500 + 100 per started kg, from 20 kg 2000 + 50 per started kg. */
const FREIGHT = [
  { minWeightGrams: 0, baseAmount: 500, perKgAmount: 100 },
  { minWeightGrams: 20_000, baseAmount: 2000, perKgAmount: 50 },
];

describe("pricing", () => {
  it("uses the highest band not above the weight, plus per-kg for every started kilogram", () => {
    const bands = [
      { minWeightGrams: 0, baseAmount: 499, perKgAmount: 100 },
      { minWeightGrams: 5000, baseAmount: 899, perKgAmount: 60 },
    ];
    expect([0, 1, 1000, 1001, 4999, 5000, 6500].map((w) => priceFor(bands, w))).toStrictEqual([499, 599, 599, 699, 999, 1199, 1319]);
    expect(priceFor([{ minWeightGrams: 100, baseAmount: 1, perKgAmount: 0 }], 50)).toBeNull();
  });
});

describe("GET /v1/shipping/options", () => {
  const us = (standard: number, express: number) => ({
    items: [
      { id: "ship_us_standard", name: "Standard", price: usd(standard), estimatedDays: 5 },
      { id: "ship_us_express", name: "Express", price: usd(express), estimatedDays: 2 },
    ],
  });

  it("prices the destination zone's options for an empty cart (public)", async () => {
    expect(await api("GET", "/v1/shipping/options?country=US")).toStrictEqual({ status: 200, body: us(499, 1499) });
  });

  it("charges the default options' listed price at any weight, as the public contract quotes one price", async () => {
    for (const w of [0, 500, 6500, 1_000_000]) {
      expect(await api("GET", `/v1/shipping/options?country=US&weightGrams=${w}`)).toStrictEqual({ status: 200, body: us(499, 1499) });
    }
  });

  it("prices an option an admin gave weight bands by weight when weightGrams is given", async () => {
    const z = await zone();
    const { id } = await option(z.id, [
      { minWeightGrams: 0, baseAmount: 499, perKgAmount: 100 },
      { minWeightGrams: 5000, baseAmount: 899, perKgAmount: 60 },
    ]);
    expect(await api("GET", `/v1/shipping/options?country=${z.country}&weightGrams=6500`)).toStrictEqual({
      status: 200,
      body: { items: [{ id, name: "Courier", price: usd(1319), estimatedDays: 3 }] },
    });
  });

  it("prices every weight a cart can have: past 1 t, up to 50 lines of 99 units at 1 t each", async () => {
    expect(MAX_CART_WEIGHT_GRAMS).toBe(1_000_000 * 99 * 50);
    const z = await zone();
    const { id } = await option(z.id, FREIGHT);
    for (const [weight, amount] of [
      [1_000_001, 2000 + 50 * 1001],
      [MAX_CART_WEIGHT_GRAMS, 2000 + 50 * 4_950_000],
    ] as const) {
      expect(await api("GET", `/v1/shipping/options?country=${z.country}&weightGrams=${weight}`)).toStrictEqual({
        status: 200,
        body: { items: [{ id, name: "Courier", price: usd(amount), estimatedDays: 3 }] },
      });
    }
  });

  it("serves EU countries from the EU zone and every other country from the rest-of-world zone", async () => {
    const eu = await api("GET", "/v1/shipping/options?country=DE");
    expect(eu.body).toStrictEqual({
      items: [
        { id: "ship_eu_standard", name: "Standard", price: usd(999), estimatedDays: 7 },
        { id: "ship_eu_express", name: "Express", price: usd(2499), estimatedDays: 3 },
      ],
    });
    const row = await api("GET", "/v1/shipping/options?country=JP&weightGrams=2000");
    expect(row.body).toStrictEqual({
      items: [
        { id: "ship_row_standard", name: "International Standard", price: usd(1999), estimatedDays: 14 },
        { id: "ship_row_express", name: "International Express", price: usd(3999), estimatedDays: 5 },
      ],
    });
  });

  it("requires an ISO alpha-2 country and a sane weight (400)", async () => {
    for (const query of ["", "?country=", "?country=USA", "?country=us", "?country=U1", "?country=ZZ", "?country=XA"]) {
      expect(await api("GET", `/v1/shipping/options${query}`)).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "country", message: expect.any(String) }]) });
    }
    for (const [query, upper] of [["us", "US"], ["Us", "US"], ["de", "DE"]]) {
      expect(await api("GET", `/v1/shipping/options?country=${query}`)).toStrictEqual({
        status: 400,
        body: problem(400, "VALIDATION_FAILED", [{ path: "country", message: `Country codes are upper case: ${upper}` }]),
      });
    }
    for (const w of ["-1", "1.5", "abc", "1e3", "%2B10", String(MAX_CART_WEIGHT_GRAMS + 1), "00000000000000001"]) {
      expect(await api("GET", `/v1/shipping/options?country=US&weightGrams=${w}`)).toStrictEqual({
        status: 400,
        body: problem(400, "VALIDATION_FAILED", [{ path: "weightGrams", message: expect.any(String) }]),
      });
    }
  });
});

describe("admin: zones and options", () => {
  it("creates a zone and an option that the zone's country then lists", async () => {
    const z = await zone();
    const created = await api("POST", "/v1/shipping/options", {
      token: admin,
      body: { zoneId: z.id, name: "Cargo bike", estimatedDays: 1, rates: [{ minWeightGrams: 0, baseAmount: 300, perKgAmount: 50 }] },
    });
    expect(created).toStrictEqual({
      status: 201,
      body: {
        id: expect.stringMatching(/^shp_/),
        zoneId: z.id,
        name: "Cargo bike",
        carrier: "EdgePost",
        estimatedDays: 1,
        active: true,
        price: usd(300),
        currency: "USD",
        rates: [{ minWeightGrams: 0, baseAmount: 300, perKgAmount: 50 }],
      },
    });
    const id = (created.body as { id: string }).id;
    expect(await api("GET", `/v1/shipping/options?country=${z.country}&weightGrams=1500`)).toStrictEqual({
      status: 200,
      body: { items: [{ id, name: "Cargo bike", price: usd(400), estimatedDays: 1 }] },
    });
    expect(await api("GET", `/v1/shipping/options/${id}`, { token: admin })).toStrictEqual({ status: 200, body: created.body });
    const zones = await api("GET", "/v1/shipping/zones", { token: admin });
    expect(zones.status).toBe(200);
    const items = (zones.body as { items: { id: string }[] }).items;
    expect(items).toContainEqual({ id: z.id, name: expect.any(String), countries: [z.country], isDefault: false });
    expect(items.at(-1)).toStrictEqual({ id: "zone_row", name: "Rest of world", countries: [], isDefault: true });
    expect(await api("GET", "/v1/shipping/zones")).toStrictEqual({ status: 401, body: problem(401, "UNAUTHENTICATED") });
    expect(await api("GET", "/v1/shipping/zones", { token: customer })).toStrictEqual({ status: 403, body: problem(403, "FORBIDDEN") });
  });

  it("creates an option in another currency, with which a cart in that currency checks out", async () => {
    const z = await zone();
    const created = await api("POST", "/v1/shipping/options", {
      token: admin,
      body: { zoneId: z.id, name: "Kurier", estimatedDays: 2, currency: "EUR", rates: [{ minWeightGrams: 0, baseAmount: 700, perKgAmount: 0 }] },
    });
    expect(created).toMatchObject({ status: 201, body: { currency: "EUR", price: { amount: 700, currency: "EUR" } } });
    const id = (created.body as { id: string }).id;
    expect((await api("POST", "/v1/shipping/options", { token: admin, body: { zoneId: z.id, name: "X", estimatedDays: 2, currency: "XYZ", rates: [{ minWeightGrams: 0, baseAmount: 1, perKgAmount: 0 }] } })).status).toBe(400);
    const c = await newCustomer();
    const [v] = await product(admin, [3]);
    expect((await api("PATCH", `/v1/products/${v!.productId}`, { token: admin, body: { variants: [{ sku: v!.sku, price: { amount: 2000, currency: "EUR" } }] } })).status).toBe(200);
    await addToCart(c.token, v!.sku, 1);
    const order = await checkout(c.token, { shippingAddress: { ...address, country: z.country }, shippingOptionId: id, paymentToken: "tok_visa" });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ subtotal: { amount: 2000, currency: "EUR" }, shipping: { amount: 700, currency: "EUR" }, total: { amount: 2700, currency: "EUR" } });
  });

  it("refuses a country another zone serves (409), bad input (400), no token (401), a customer (403)", async () => {
    const body = { name: "Clash", countries: ["US"] };
    expect(await api("POST", "/v1/shipping/zones", { token: admin, body })).toStrictEqual({ status: 409, body: problem(409, "CONFLICT") });
    expect(await api("POST", "/v1/shipping/zones", { token: admin, body: { name: "Bad", countries: ["usa"] } })).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "countries.0", message: expect.any(String) }]),
    });
    expect(await api("POST", "/v1/shipping/zones", { body })).toStrictEqual({ status: 401, body: problem(401, "UNAUTHENTICATED") });
    expect(await api("POST", "/v1/shipping/zones", { token: customer, body })).toStrictEqual({ status: 403, body: problem(403, "FORBIDDEN") });
  });

  it("renames a zone or replaces its countries; an emptied zone gives its country back to rest of world", async () => {
    const z = await zone();
    const own = (await option(z.id)).id;
    const listed = async () => ((await api("GET", `/v1/shipping/options?country=${z.country}`)).body as { items: { id: string }[] }).items.map((o) => o.id);
    expect(await listed()).toStrictEqual([own]);
    const emptied = await api("PUT", `/v1/shipping/zones/${z.id}`, { token: admin, body: { countries: [] } });
    expect(emptied).toMatchObject({ status: 200, body: { id: z.id, countries: [], isDefault: false } });
    const rest = await listed();
    expect(rest.length).toBeGreaterThan(0);
    expect(rest).not.toContain(own);
    const renamed = await api("PUT", `/v1/shipping/zones/${z.id}`, { token: admin, body: { name: "Renamed", countries: [z.country, z.country] } });
    expect(renamed).toStrictEqual({ status: 200, body: { id: z.id, name: "Renamed", countries: [z.country], isDefault: false } });
    expect(await listed()).toStrictEqual([own]);
    // A body naming nothing changes nothing.
    expect(await api("PUT", `/v1/shipping/zones/${z.id}`, { token: admin, body: {} })).toStrictEqual(renamed);
    // Another zone's country, the rest-of-world zone's list, an unknown zone, no token and a customer are refused.
    expect(await api("PUT", `/v1/shipping/zones/${z.id}`, { token: admin, body: { countries: ["US"] } })).toStrictEqual({ status: 409, body: problem(409, "CONFLICT") });
    const zones = (await api("GET", "/v1/shipping/zones", { token: admin })).body as { items: { id: string; isDefault: boolean }[] };
    const restOfWorld = zones.items.find((i) => i.isDefault)!;
    expect(await api("PUT", `/v1/shipping/zones/${restOfWorld.id}`, { token: admin, body: { countries: [z.country] } })).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "countries", message: expect.any(String) }]),
    });
    expect(await api("PUT", "/v1/shipping/zones/shz_missing", { token: admin, body: { name: "X" } })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    expect((await api("PUT", `/v1/shipping/zones/${z.id}`, { token: admin, body: { isDefault: true } })).status).toBe(400);
    expect((await api("PUT", `/v1/shipping/zones/${z.id}`, { body: { name: "X" } })).status).toBe(401);
    expect((await api("PUT", `/v1/shipping/zones/${z.id}`, { token: customer, body: { name: "X" } })).status).toBe(403);
  });

  it("refuses an option for an unknown zone (404), without a 0 g band (400), no token (401), a customer (403)", async () => {
    const body = { zoneId: "shz_missing", name: "X", estimatedDays: 2, rates: [{ minWeightGrams: 0, baseAmount: 1, perKgAmount: 0 }] };
    expect(await api("POST", "/v1/shipping/options", { token: admin, body })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    const noBase = { ...body, rates: [{ minWeightGrams: 10, baseAmount: 1, perKgAmount: 0 }] };
    expect(await api("POST", "/v1/shipping/options", { token: admin, body: noBase })).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "rates", message: expect.any(String) }]),
    });
    expect(await api("POST", "/v1/shipping/options", { body })).toStrictEqual({ status: 401, body: problem(401, "UNAUTHENTICATED") });
    expect(await api("POST", "/v1/shipping/options", { token: customer, body })).toStrictEqual({ status: 403, body: problem(403, "FORBIDDEN") });
    expect(await api("GET", "/v1/shipping/options/shp_missing", { token: admin })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    expect(await api("GET", "/v1/shipping/options/ship_us_standard", { token: customer })).toStrictEqual({ status: 403, body: problem(403, "FORBIDDEN") });
  });
});

describe("PUT /v1/shipping/options/{id} (admin)", () => {
  it("changes price and estimated days; the public list follows", async () => {
    const z = await zone();
    const { id } = await option(z.id);
    const res = await api("PUT", `/v1/shipping/options/${id}`, { token: admin, body: { price: usd(650), estimatedDays: 4 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, price: usd(650), estimatedDays: 4, rates: [{ minWeightGrams: 0, baseAmount: 650, perKgAmount: 100 }] });
    expect((await api("GET", `/v1/shipping/options?country=${z.country}`)).body).toStrictEqual({ items: [{ id, name: "Courier", price: usd(650), estimatedDays: 4 }] });
    // The largest price a client sets is also a band's largest base amount: the bands read back can be written back.
    const top = await api("PUT", `/v1/shipping/options/${id}`, { token: admin, body: { price: usd(10_000_000_000) } });
    expect(top.status).toBe(200);
    expect((await api("PUT", `/v1/shipping/options/${id}`, { token: admin, body: { rates: (top.body as { rates: unknown[] }).rates } })).status).toBe(200);
  });

  it("replaces every band with rates, and hides an inactive option (checkout quotes refuse it too)", async () => {
    const z = await zone();
    const { id } = await option(z.id);
    const rates = [
      { minWeightGrams: 0, baseAmount: 100, perKgAmount: 10 },
      { minWeightGrams: 2000, baseAmount: 200, perKgAmount: 5 },
    ];
    expect((await api("PUT", `/v1/shipping/options/${id}`, { token: admin, body: { rates } })).body).toMatchObject({ rates });
    expect(await shipping.quote(id, z.country, 3000)).toStrictEqual({ ok: true, value: { id, name: "Courier", price: usd(215), estimatedDays: 3 } });
    expect((await api("PUT", `/v1/shipping/options/${id}`, { token: admin, body: { active: false } })).body).toMatchObject({ active: false });
    expect((await api("GET", `/v1/shipping/options?country=${z.country}`)).body).toStrictEqual({ items: [] });
    expect(await shipping.quote(id, z.country, 0)).toStrictEqual({
      ok: false,
      error: { code: "VALIDATION_FAILED", detail: expect.any(String), errors: [{ path: "shippingOptionId", message: expect.any(String) }] },
    });
  });

  it("a checkout right after a price change pays the new price, though the option was just quoted at the old one", async () => {
    const z = await zone();
    const { id } = await option(z.id); // 500 + 100 per started kg
    const buyer = await newCustomer();
    const [variant] = await product(admin, [5]); // 500 g
    const body = { shippingAddress: { ...address, country: z.country }, shippingOptionId: id, paymentToken: "tok_visa" };
    const buyOne = async () => {
      expect((await addToCart(buyer.token, variant!.sku, 1)).status).toBe(200);
      const order = await checkout(buyer.token, body);
      expect(order.status).toBe(201);
      return order.body.shipping;
    };
    expect(await buyOne()).toStrictEqual(usd(600));
    expect((await api("PUT", `/v1/shipping/options/${id}`, { token: admin, body: { price: usd(650) } })).status).toBe(200);
    expect(await buyOne()).toStrictEqual(usd(750));
  });

  it("a cart over 1 t checks out at the shipping price the options list shows for the cart's weight", async () => {
    const z = await zone();
    const { id } = await option(z.id, FREIGHT);
    const buyer = await newCustomer();
    const anvil = await weighed(1_000_000, 3);
    expect((await addToCart(buyer.token, anvil.sku, 2)).status).toBe(200);
    const listed = await api("GET", `/v1/shipping/options?country=${z.country}&weightGrams=${2 * 1_000_000}`);
    expect(listed).toStrictEqual({ status: 200, body: { items: [{ id, name: "Courier", price: usd(2000 + 50 * 2000), estimatedDays: 3 }] } });
    const order = await checkout(buyer.token, { shippingAddress: { ...address, country: z.country }, shippingOptionId: id, paymentToken: "tok_visa" });
    expect(order.status).toBe(201);
    expect({ shipping: order.body.shipping, total: order.body.total }).toStrictEqual({ shipping: usd(102_000), total: usd(200 + 102_000) });
  });

  it("a checkout after a variant's weight is corrected charges shipping by the new weight, also for a cart filled before", async () => {
    const z = await zone();
    const { id } = await option(z.id, FREIGHT);
    const anvil = await weighed(undefined, 5); // 500 g by default
    const early = await newCustomer();
    expect((await addToCart(early.token, anvil.sku, 1)).status).toBe(200);
    const patched = await api("PATCH", `/v1/products/${anvil.productId}`, { token: admin, body: { variants: [{ sku: anvil.sku, weightGrams: 25_000 }] } });
    expect(patched.status).toBe(200);
    expect((patched.body as { variants: { weightGrams: number }[] }).variants[0]!.weightGrams).toBe(25_000);
    const late = await newCustomer();
    expect((await addToCart(late.token, anvil.sku, 2)).status).toBe(200);
    const body = { shippingAddress: { ...address, country: z.country }, shippingOptionId: id, paymentToken: "tok_visa" };
    // What the options list shows at each cart's new weight is what checkout charges.
    for (const [buyer, weight, amount] of [
      [early, 25_000, 2000 + 50 * 25],
      [late, 50_000, 2000 + 50 * 50],
    ] as const) {
      expect(await api("GET", `/v1/shipping/options?country=${z.country}&weightGrams=${weight}`)).toStrictEqual({
        status: 200,
        body: { items: [{ id, name: "Courier", price: usd(amount), estimatedDays: 3 }] },
      });
      const order = await checkout(buyer.token, body);
      expect(order.status).toBe(201);
      expect(order.body.shipping).toStrictEqual(usd(amount));
    }
  });

  it("quote refuses an option outside the destination's zone", async () => {
    expect(await shipping.quote("ship_us_standard", "DE", 0)).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED", errors: [{ path: "shippingOptionId" }] } });
    expect(await shipping.quote("ship_us_standard", "US", 1200)).toStrictEqual({ ok: true, value: { id: "ship_us_standard", name: "Standard", price: usd(499), estimatedDays: 5 } });
  });

  it("refuses another currency, unknown fields and bad values (400), an unknown option (404), no token (401), a customer (403)", async () => {
    const path = "/v1/shipping/options/ship_us_standard";
    expect(await api("PUT", path, { token: admin, body: { price: { amount: 100, currency: "EUR" } } })).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "price.currency", message: expect.any(String) }]),
    });
    expect((await api("PUT", path, { token: admin, body: { zoneId: "zone_eu" } })).status).toBe(400);
    expect((await api("PUT", path, { token: admin, body: { estimatedDays: -1 } })).status).toBe(400);
    expect((await api("PUT", path, { token: admin, body: { price: { amount: 1.5, currency: "USD" } } })).status).toBe(400);
    expect(await api("PUT", "/v1/shipping/options/shp_missing", { token: admin, body: { estimatedDays: 2 } })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    expect(await api("PUT", path, { body: { estimatedDays: 2 } })).toStrictEqual({ status: 401, body: problem(401, "UNAUTHENTICATED") });
    expect(await api("PUT", path, { token: customer, body: { estimatedDays: 2 } })).toStrictEqual({ status: 403, body: problem(403, "FORBIDDEN") });
  });
});

interface ShipmentBody {
  id: string;
  orderId: string;
  status: string;
  carrier: string;
  trackingNumber: string;
  events: { status: string; at: string }[];
}

/** A shipment for a made-up order, straight over RPC (the orders Worker just does not know the order). */
async function bareShipment(): Promise<ShipmentBody> {
  const created = await shipping.createShipment(`ord_${unique("x")}`, "usr_test");
  if (!created.ok) throw new Error(created.error.code);
  return created.value;
}

const shipmentShape = (s: ShipmentBody, status: string, events: string[]) => ({
  id: s.id,
  orderId: s.orderId,
  status,
  carrier: "EdgePost",
  trackingNumber: s.trackingNumber,
  events: events.map((e) => ({ status: e, at: expect.any(String) })),
});

describe("createShipment (RPC)", () => {
  concurrently("is idempotent by order, also under concurrency", async () => {
    const orderId = `ord_${unique("x")}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => shipping.createShipment(orderId, "usr_test")));
    const first = results[0];
    if (!first?.ok) throw new Error("createShipment failed");
    expect(first.value).toStrictEqual({
      id: expect.stringMatching(/^shm_/),
      orderId,
      status: "pending",
      carrier: "EdgePost",
      trackingNumber: expect.stringMatching(/^EP[0-9A-F]{16}$/),
      events: [{ status: "pending", at: expect.any(String) }],
    });
    for (const r of results) expect(r).toStrictEqual(first);
    expect(await shipping.getShipmentForOrder(orderId)).toStrictEqual(first);
    expect(await shipping.getShipmentForOrder("ord_none")).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
  });
});

describe("POST /v1/shipments/{id}/events (admin)", () => {
  it("moves pending -> in_transit -> delivered with timestamps; repeats and late events change nothing", async () => {
    const s = await bareShipment();
    const path = `/v1/shipments/${s.id}/events`;
    const transit = await api("POST", path, { token: admin, body: { status: "in_transit" } });
    expect(transit).toStrictEqual({ status: 200, body: shipmentShape(s, "in_transit", ["pending", "in_transit"]) });
    expect(await api("POST", path, { token: admin, body: { status: "in_transit" } })).toStrictEqual(transit);
    const delivered = await api("POST", path, { token: admin, body: { status: "delivered" } });
    expect(delivered).toStrictEqual({ status: 200, body: shipmentShape(s, "delivered", ["pending", "in_transit", "delivered"]) });
    const events = (delivered.body as ShipmentBody).events.map((e) => Date.parse(e.at));
    expect(events).toStrictEqual([...events].sort((a, b) => a - b));
    expect(await api("POST", path, { token: admin, body: { status: "in_transit" } })).toStrictEqual(delivered);
    expect(await api("POST", path, { token: admin, body: { status: "delivered" } })).toStrictEqual(delivered);
  });

  it("records in_transit too when delivered arrives straight from pending", async () => {
    const s = await bareShipment();
    const res = await api("POST", `/v1/shipments/${s.id}/events`, { token: admin, body: { status: "delivered" } });
    expect(res).toStrictEqual({ status: 200, body: shipmentShape(s, "delivered", ["pending", "in_transit", "delivered"]) });
  });

  concurrently("ends delivered with each status once when events race", async () => {
    const s = await bareShipment();
    const statuses = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? "delivered" : "in_transit"));
    const all = await Promise.all(statuses.map((status) => api("POST", `/v1/shipments/${s.id}/events`, { token: admin, body: { status } })));
    for (const r of all) expect(r.status).toBe(200);
    const final = await shipping.getShipmentForOrder(s.orderId);
    expect(final).toStrictEqual({ ok: true, value: shipmentShape(s, "delivered", ["pending", "in_transit", "delivered"]) });
  });

  it("refuses bad statuses (400), an unknown shipment (404), no token (401), a customer (403)", async () => {
    const s = await bareShipment();
    const path = `/v1/shipments/${s.id}/events`;
    for (const body of [{ status: "pending" }, { status: "lost" }, {}, { status: "delivered", at: "2020-01-01" }]) {
      expect((await api("POST", path, { token: admin, body })).status).toBe(400);
    }
    expect(await api("POST", path, { token: admin, body: { status: "lost" } })).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "status", message: expect.any(String) }]),
    });
    expect(await api("POST", "/v1/shipments/shm_missing/events", { token: admin, body: { status: "in_transit" } })).toStrictEqual({
      status: 404,
      body: problem(404, "NOT_FOUND"),
    });
    expect(await api("POST", path, { body: { status: "in_transit" } })).toStrictEqual({ status: 401, body: problem(401, "UNAUTHENTICATED") });
    expect(await api("POST", path, { token: customer, body: { status: "in_transit" } })).toStrictEqual({ status: 403, body: problem(403, "FORBIDDEN") });
    expect(await shipping.getShipmentForOrder(s.orderId)).toStrictEqual({ ok: true, value: shipmentShape(s, "pending", ["pending"]) });
  });
});

describe("POST /v1/webhooks/carrier", () => {
  const now = () => Math.floor(Date.now() / 1000);
  async function send(body: unknown, sign: (raw: string) => Promise<string | undefined>) {
    const rawBody = JSON.stringify(body);
    const signature = await sign(rawBody);
    return api("POST", "/v1/webhooks/carrier", { rawBody, headers: signature === undefined ? {} : { "edgeshop-signature": signature } });
  }
  const signed = (raw: string) => signCarrierWebhook(SECRET, raw, now());

  it("maps a signed carrier report onto the shipment's events", async () => {
    const s = await bareShipment();
    expect(await send({ trackingNumber: s.trackingNumber, status: "in_transit" }, signed)).toStrictEqual({
      status: 200,
      body: shipmentShape(s, "in_transit", ["pending", "in_transit"]),
    });
    const delivered = await send({ trackingNumber: s.trackingNumber, status: "delivered" }, signed);
    expect(delivered).toStrictEqual({ status: 200, body: shipmentShape(s, "delivered", ["pending", "in_transit", "delivered"]) });
    expect(await send({ trackingNumber: s.trackingNumber, status: "in_transit" }, signed)).toStrictEqual(delivered);
  });

  it("refuses missing, wrong-secret, stale and tampered signatures (400 INVALID_SIGNATURE) and changes nothing", async () => {
    const s = await bareShipment();
    const body = { trackingNumber: s.trackingNumber, status: "delivered" };
    const invalid = { status: 400, body: problem(400, "INVALID_SIGNATURE") };
    expect(await send(body, async () => undefined)).toStrictEqual(invalid);
    expect(await send(body, async () => "garbage")).toStrictEqual(invalid);
    expect(await send(body, (raw) => signCarrierWebhook("whsec_other", raw, now()))).toStrictEqual(invalid);
    expect(await send(body, (raw) => signCarrierWebhook(SECRET, raw, now() - 301))).toStrictEqual(invalid);
    expect(await send(body, (raw) => signCarrierWebhook(SECRET, raw.replace("delivered", "in_transit"), now()))).toStrictEqual(invalid);
    expect(await shipping.getShipmentForOrder(s.orderId)).toStrictEqual({ ok: true, value: shipmentShape(s, "pending", ["pending"]) });
  });

  it("answers an unknown tracking number with 404 and a signed malformed body with 400 VALIDATION_FAILED", async () => {
    expect(await send({ trackingNumber: "EP0000000000000000", status: "delivered" }, signed)).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    expect(await send({ trackingNumber: "EP1", status: "lost" }, signed)).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "status", message: expect.any(String) }]),
    });
  });
});

describe("a paid order's shipment", () => {
  async function paidOrder(token: string): Promise<string> {
    const [variant] = await product(admin, [5]);
    if (!variant) throw new Error("no variant");
    expect((await addToCart(token, variant.sku, 1)).status).toBe(200);
    const order = await checkout(token);
    expect(order.status).toBe(201);
    return order.body.id;
  }

  it("is created on paid, readable by the owner and admins only, and the order follows its events", async () => {
    const owner = await newCustomer();
    const orderId = await paidOrder(owner.token);
    const path = `/v1/orders/${orderId}/shipment`;
    const shipment = await eventually(async () => {
      const res = await api("GET", path, { token: owner.token });
      expect(res.status).toBe(200);
      return res.body as ShipmentBody;
    }, 10_000);
    expect(shipment).toStrictEqual({ ...shipmentShape(shipment, "pending", ["pending"]), orderId });
    expect(await api("GET", path, { token: admin })).toStrictEqual({ status: 200, body: shipment });
    expect(await api("GET", path, { token: customer })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    expect(await api("GET", path)).toStrictEqual({ status: 401, body: problem(401, "UNAUTHENTICATED") });
    expect(await api("GET", "/v1/orders/ord_missing/shipment", { token: admin })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });

    await api("POST", `/v1/shipments/${shipment.id}/events`, { token: admin, body: { status: "in_transit" } });
    expect((await api("GET", `/v1/orders/${orderId}`, { token: owner.token })).body).toMatchObject({ status: "shipped" });
    await api("POST", `/v1/shipments/${shipment.id}/events`, { token: admin, body: { status: "delivered" } });
    expect((await api("GET", `/v1/orders/${orderId}`, { token: owner.token })).body).toMatchObject({ status: "delivered" });
    expect((await api("GET", path, { token: owner.token })).body).toStrictEqual(shipmentShape(shipment, "delivered", ["pending", "in_transit", "delivered"]));
  });

  it("takes the order from paid straight to delivered through a carrier webhook", async () => {
    const owner = await newCustomer();
    const orderId = await paidOrder(owner.token);
    const shipment = await eventually(async () => {
      const r = await shipping.getShipmentForOrder(orderId);
      if (!r.ok) throw new Error(r.error.code);
      return r.value;
    }, 10_000);
    const rawBody = JSON.stringify({ trackingNumber: shipment.trackingNumber, status: "delivered" });
    const signature = await signCarrierWebhook(SECRET, rawBody, Math.floor(Date.now() / 1000));
    expect((await api("POST", "/v1/webhooks/carrier", { rawBody, headers: { "edgeshop-signature": signature } })).status).toBe(200);
    expect((await api("GET", `/v1/orders/${orderId}`, { token: owner.token })).body).toMatchObject({ status: "delivered" });
  });
});

describe("routing and the OpenAPI document", () => {
  it("documents every shipping route, including the carrier webhook", async () => {
    const spec = (await api("GET", "/v1/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(spec.paths["/v1/shipping/options"] ?? {}).sort()).toStrictEqual(["get", "post"]);
    expect(Object.keys(spec.paths["/v1/shipping/options/{id}"] ?? {}).sort()).toStrictEqual(["get", "put"]);
    expect(Object.keys(spec.paths["/v1/shipping/zones"] ?? {}).sort()).toStrictEqual(["get", "post"]);
    expect(Object.keys(spec.paths["/v1/orders/{id}/shipment"] ?? {})).toStrictEqual(["get"]);
    expect(Object.keys(spec.paths["/v1/shipments/{id}/events"] ?? {})).toStrictEqual(["post"]);
    expect(Object.keys(spec.paths["/v1/webhooks/carrier"] ?? {})).toStrictEqual(["post"]);
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const res = await call("GET", "/v1/webhooks/carrier");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")?.split(", ").filter((m) => m !== "OPTIONS")).toStrictEqual(["POST"]);
    expect(res.body).toStrictEqual(problem(405, "METHOD_NOT_ALLOWED"));
  });
});
