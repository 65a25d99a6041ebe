import { beforeAll, describe, expect, it } from "vitest";
import type { Cart } from "../../shared/schemas/cart.ts";
import type { Order } from "../../shared/schemas/orders.ts";
import {
  addToCart, address, adminToken, api, checkout, checkoutBody, customer, eventually, inventory, problem, product, SHIPPING_OPTION, uid,
  type ApiResult, type Customer, type Variant,
} from "./orders-support.ts";

let admin = "";

beforeAll(async () => {
  admin = await adminToken();
});

/** What a paid order for these lines looks like (shipping is the option's price, whatever it is). */
function paidOrder(userId: string, lines: [Variant, number][], last4 = "4242") {
  const subtotal = lines.reduce((s, [v, q]) => s + v.price.amount * q, 0);
  return {
    id: expect.any(String),
    userId,
    status: "paid",
    items: lines.map(([v, q]) => ({ sku: v.sku, productId: v.productId, title: v.title, quantity: q, unitPrice: v.price, lineTotal: { amount: v.price.amount * q, currency: "USD" } })),
    subtotal: { amount: subtotal, currency: "USD" },
    shipping: { amount: expect.any(Number), currency: "USD" },
    total: { amount: expect.any(Number), currency: "USD" },
    shippingAddress: address,
    shippingOptionId: SHIPPING_OPTION,
    payment: { id: expect.any(String), status: "captured", last4 },
    createdAt: expect.any(String),
    updatedAt: expect.any(String),
  };
}

async function payments(token: string, orderId: string) {
  return (await api<{ items: { status: string }[] }>("GET", `/v1/orders/${orderId}/payments`, { token })).body.items;
}

describe("POST /v1/checkout", () => {
  it("turns the cart into a paid order, empties the cart and commits the stock once", async () => {
    const c = await customer();
    const [v, w] = await product(admin, [10, 4]);
    await addToCart(c.token, v!.sku, 3);
    await addToCart(c.token, w!.sku, 1);
    const res = await checkout(c.token);
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual(paidOrder(c.userId, [[v!, 3], [w!, 1]]));
    expect(res.body.total.amount).toBe(res.body.subtotal.amount + res.body.shipping.amount);
    // Shipping is the price the options list quotes, however much the cart weighs.
    const listed = await api<{ items: { id: string; price: unknown }[] }>("GET", `/v1/shipping/options?country=${address.country}`);
    expect(res.body.shipping).toStrictEqual(listed.body.items.find((o) => o.id === SHIPPING_OPTION)?.price);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    expect((await api<Cart>("GET", "/v1/cart", { token: c.token })).body.items).toStrictEqual([]);
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 7, reserved: 0, available: 7 });
    expect(await inventory(admin, w!.sku)).toStrictEqual({ sku: w!.sku, onHand: 3, reserved: 0, available: 3 });
  });

  it("requires an Idempotency-Key (400 IDEMPOTENCY_KEY_REQUIRED) of at most 255 characters", async () => {
    const c = await customer();
    const missing = await api("POST", "/v1/checkout", { token: c.token, body: checkoutBody() });
    expect(missing.status).toBe(400);
    expect(missing.body).toStrictEqual(problem(400, "IDEMPOTENCY_KEY_REQUIRED"));
    const long = await api("POST", "/v1/checkout", { token: c.token, body: checkoutBody(), headers: { "idempotency-key": "k".repeat(256) } });
    expect(long.status).toBe(400);
    expect(long.body).toStrictEqual(problem(400, "VALIDATION_FAILED", expect.any(Array)));
  });

  it("is 401 without a token and 403 for an admin", async () => {
    expect((await api("POST", "/v1/checkout", { body: checkoutBody(), headers: { "idempotency-key": uid() } })).body).toStrictEqual(problem(401, "UNAUTHENTICATED"));
    expect((await checkout(admin)).body).toStrictEqual(problem(403, "FORBIDDEN"));
  });

  it("refuses a card number as payment token, also behind a token's prefix, without echoing it or placing an order", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 2);
    const pan = "4242424242424242";
    for (const token of [pan, `tok_${pan}`, `tok_visa${pan}`, "pm_4111111111111111"]) {
      const res = await checkout(c.token, checkoutBody(token));
      expect(res.status).toBe(400);
      expect(res.body).toStrictEqual(problem(400, "VALIDATION_FAILED", [{ path: "paymentToken", message: expect.any(String) }]));
      expect(JSON.stringify(res.body)).not.toMatch(/4242424242424242|4111111111111111/);
    }
    const orders = await api("GET", "/v1/orders", { token: c.token });
    expect(orders.body).toStrictEqual({ items: [], nextCursor: null });
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 5, reserved: 0, available: 5 });
  });

  it("refuses card data anywhere in the body (400 naming the field), never echoing it, and charges nothing", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 1);
    const pan = "4242424242424242";
    for (const [extra, path] of [
      [{ card: { number: pan, cvc: "123" } }, "card"],
      [{ cvc: "123" }, "cvc"],
      [{ shippingAddress: { ...address, line2: pan } }, "shippingAddress.line2"],
    ] as const) {
      const res = await checkout(c.token, { ...checkoutBody(), ...extra });
      expect(res.status).toBe(400);
      expect(res.body).toStrictEqual(problem(400, "VALIDATION_FAILED", [{ path, message: expect.any(String) }]));
      expect(JSON.stringify(res.body)).not.toContain(pan);
    }
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 5, reserved: 0, available: 5 });
    expect((await checkout(c.token)).status).toBe(201);
  });

  it("rejects a malformed body with 400 and a path per problem", async () => {
    const c = await customer();
    const res = await checkout(c.token, { shippingAddress: { ...address, country: "usa" }, paymentToken: "tok_visa" });
    expect(res.status).toBe(400);
    expect((res.body as unknown as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toStrictEqual(["shippingAddress.country", "shippingOptionId"]);
    const lower = await checkout(c.token, { shippingAddress: { ...address, country: "us" }, shippingOptionId: SHIPPING_OPTION, paymentToken: "tok_visa" });
    expect(lower.body).toStrictEqual(problem(400, "VALIDATION_FAILED", [{ path: "shippingAddress.country", message: "Country codes are upper case: US" }]));
  });

  it("charges the catalog's current price when it changed after the line was added", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 2);
    expect((await api("PATCH", `/v1/products/${v!.productId}`, { token: admin, body: { variants: [{ sku: v!.sku, price: { amount: 9900, currency: "USD" } }] } })).status).toBe(200);
    const res = await checkout(c.token);
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual(paidOrder(c.userId, [[{ ...v!, price: { amount: 9900, currency: "USD" } }, 2]]));
    const pays = await payments(c.token, res.body.id);
    expect(pays).toMatchObject([{ status: "captured", amount: res.body.total }]);
  });

  it("refuses a product deleted after it was added (404 UNKNOWN_SKU naming it), holding and charging nothing", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    const [w] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 1);
    await addToCart(c.token, w!.sku, 1);
    expect((await api("DELETE", `/v1/products/${v!.productId}`, { token: admin })).status).toBe(204);
    const res = await checkout(c.token);
    expect(res.body).toStrictEqual(problem(404, "UNKNOWN_SKU", [{ path: v!.sku, message: expect.any(String) }]));
    expect(await inventory(admin, w!.sku)).toStrictEqual({ sku: w!.sku, onHand: 5, reserved: 0, available: 5 });
    expect((await api<Order[]>("GET", "/v1/orders", { token: c.token })).body).toStrictEqual({ items: [], nextCursor: null });
  });

  it("is 409 CART_EMPTY for an empty cart", async () => {
    const c = await customer();
    const res = await checkout(c.token);
    expect(res.status).toBe(409);
    expect(res.body).toStrictEqual(problem(409, "CART_EMPTY"));
  });

  it("buys a cart once when two keys race for it: one 201, the others 409 CART_EMPTY", async () => {
    const c = await customer();
    const [v] = await product(admin, [10]);
    await addToCart(c.token, v!.sku, 2);
    const results = await Promise.all(Array.from({ length: 4 }, () => checkout(c.token)));
    expect(results.map((r) => r.status).sort()).toStrictEqual([201, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body).toStrictEqual(problem(409, "CART_EMPTY"));
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 8, reserved: 0, available: 8 });
  });

  it("is 400 for a shipping option that does not exist, holding nothing", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 2);
    const res = await checkout(c.token, { ...checkoutBody(), shippingOptionId: "no-such-option" });
    expect(res.body).toStrictEqual(problem(400, "VALIDATION_FAILED", [{ path: "shippingOptionId", message: expect.any(String) }]));
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 5, reserved: 0, available: 5 });
  });

  it("is 409 OUT_OF_STOCK naming every short SKU; nothing is reserved or charged", async () => {
    const c = await customer();
    const [v, w, x] = await product(admin, [5, 5, 5]);
    await addToCart(c.token, v!.sku, 4);
    await addToCart(c.token, w!.sku, 4);
    await addToCart(c.token, x!.sku, 1);
    for (const s of [v!, w!]) {
      const adj = await api("POST", `/v1/inventory/${s.sku}/adjustments`, { token: admin, body: { delta: -3, reason: "breakage" } });
      expect(adj.status).toBe(200);
    }
    const res = await checkout(c.token);
    expect(res.status).toBe(409);
    // Each short SKU as text and as numbers: what was asked for and what is left.
    expect(res.body).toStrictEqual(
      problem(409, "OUT_OF_STOCK", expect.arrayContaining([
        { path: v!.sku, message: `${v!.sku}: requested 4, available 2`, sku: v!.sku, requested: 4, available: 2 },
        { path: w!.sku, message: `${w!.sku}: requested 4, available 2`, sku: w!.sku, requested: 4, available: 2 },
      ])),
    );
    expect((res.body as unknown as { errors: unknown[] }).errors).toHaveLength(2);
    for (const [s, left] of [[v!, 2], [w!, 2], [x!, 5]] as const) {
      expect(await inventory(admin, s.sku)).toStrictEqual({ sku: s.sku, onHand: left, reserved: 0, available: left });
    }
    expect((await api<Cart>("GET", "/v1/cart", { token: c.token })).body.items).toHaveLength(3);
    expect((await api<{ items: unknown[] }>("GET", "/v1/orders", { token: c.token })).body.items).toStrictEqual([]);
  });

  it.each([
    ["tok_chargeDeclined", 402, "PAYMENT_DECLINED"],
    ["tok_insufficientFunds", 402, "PAYMENT_DECLINED"],
    ["tok_processingError", 502, "PAYMENT_PROVIDER_ERROR"],
    ["tok_neverHeardOfIt", 402, "PAYMENT_DECLINED"],
  ])("%s -> %i %s naming the failed order, stock as it was, cart kept", async (token, status, code) => {
    const c = await customer();
    const [v] = await product(admin, [6]);
    await addToCart(c.token, v!.sku, 2);
    const res = await checkout(c.token, checkoutBody(token));
    expect(res.status).toBe(status);
    expect(res.body).toStrictEqual({ ...problem(status, code), orderId: expect.stringMatching(/^ord_/) });
    const orderId = (res.body as unknown as { orderId: string }).orderId;
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 6, reserved: 0, available: 6 });
    expect((await api<Cart>("GET", "/v1/cart", { token: c.token })).body.items).toHaveLength(1);
    const orders = await eventually(async () => {
      const list = (await api<{ items: Order[] }>("GET", "/v1/orders", { token: c.token })).body.items;
      expect(list).toHaveLength(1);
      return list;
    });
    expect(orders.map((o) => [o.id, o.status])).toStrictEqual([[orderId, "failed"]]);
    expect((await api<Order>("GET", `/v1/orders/${orderId}`, { token: c.token })).body.status).toBe("failed");
    expect((await payments(c.token, orderId)).filter((p) => p.status === "captured")).toStrictEqual([]);
  });
});

/** The listed price of the checkout's shipping option to the test address (what checkout charges for it). */
async function shippingPrice(): Promise<{ amount: number; currency: string }> {
  const listed = await api<{ items: { id: string; price: { amount: number; currency: string } }[] }>("GET", `/v1/shipping/options?country=${address.country}`);
  const price = listed.body.items.find((o) => o.id === SHIPPING_OPTION)?.price;
  if (!price) throw new Error("the test shipping option is not listed");
  return price;
}

async function setPrice(v: Variant, amount: number): Promise<void> {
  const res = await api("PATCH", `/v1/products/${v.productId}`, { token: admin, body: { variants: [{ sku: v.sku, price: { amount, currency: "USD" } }] } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe("POST /v1/checkout with expectedTotal", () => {
  it("is 409 PRICE_CHANGED with both totals when a price changed since the review; nothing held or charged, no order, cart kept; the same key replays it", async () => {
    const c = await customer();
    const [v, w] = await product(admin, [5, 5], 1000);
    await addToCart(c.token, v!.sku, 2);
    await addToCart(c.token, w!.sku, 1);
    const ship = await shippingPrice();
    const reviewed = (await api<Cart>("GET", "/v1/cart", { token: c.token })).body;
    const expectedTotal = { amount: reviewed.subtotal.amount + ship.amount, currency: "USD" };
    expect(expectedTotal.amount).toBe(2 * 1000 + 1001 + ship.amount);
    await setPrice(v!, 5000);

    const key = uid();
    const body = { ...checkoutBody(), expectedTotal };
    const res = await checkout(c.token, body, key);
    const total = { amount: 2 * 5000 + 1001 + ship.amount, currency: "USD" };
    expect(res.status).toBe(409);
    expect(res.body).toStrictEqual({ ...problem(409, "PRICE_CHANGED"), total, expectedTotal });
    const detail = (res.body as unknown as { detail: string }).detail;
    expect(detail).toContain(`${total.amount} USD`);
    expect(detail).toContain(`${expectedTotal.amount} USD`);
    expect(res.headers.get("retry-after")).toBeNull();

    for (const s of [v!, w!]) expect(await inventory(admin, s.sku)).toStrictEqual({ sku: s.sku, onHand: 5, reserved: 0, available: 5 });
    const cart = (await api<Cart>("GET", "/v1/cart", { token: c.token })).body;
    expect(cart.items.map((i) => [i.sku, i.quantity, i.unitPrice.amount])).toStrictEqual([[v!.sku, 2, 5000], [w!.sku, 1, 1001]]);
    expect(cart.subtotal.amount + ship.amount).toBe(total.amount);

    // Stored under its key like any answer of a checkout that ran: the same key and body replay it, another body is 422.
    const again = await checkout(c.token, body, key);
    expect(again.status).toBe(409);
    expect(again.body).toStrictEqual(res.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await checkout(c.token, { ...checkoutBody(), expectedTotal: total }, key)).body).toStrictEqual(problem(422, "IDEMPOTENCY_KEY_REUSED"));
    expect((await api("GET", "/v1/orders", { token: c.token })).body).toStrictEqual({ items: [], nextCursor: null });

    // The new total, agreed to under a new key, is charged.
    const paid = await checkout(c.token, { ...checkoutBody(), expectedTotal: total });
    expect(paid.status).toBe(201);
    expect(paid.body.total).toStrictEqual(total);
    expect((await payments(c.token, paid.body.id)).map((p) => p.status)).toStrictEqual(["captured"]);
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 3, reserved: 0, available: 3 });
  });

  it("checks out when the total is as expected, and refuses another currency or amount (a lower total too)", async () => {
    const c = await customer();
    const [v] = await product(admin, [5], 2000);
    await addToCart(c.token, v!.sku, 1);
    const ship = await shippingPrice();
    const total = { amount: 2000 + ship.amount, currency: "USD" };
    for (const expectedTotal of [{ amount: total.amount, currency: "EUR" }, { amount: total.amount + 1, currency: "USD" }]) {
      const res = await checkout(c.token, { ...checkoutBody(), expectedTotal });
      expect(res.body).toStrictEqual({ ...problem(409, "PRICE_CHANGED"), total, expectedTotal });
    }
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 5, reserved: 0, available: 5 });
    const res = await checkout(c.token, { ...checkoutBody(), expectedTotal: total });
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual(paidOrder(c.userId, [[v!, 1]]));
    expect(res.body.total).toStrictEqual(total);
  });

  it("answers OUT_OF_STOCK, not PRICE_CHANGED, for a cart that cannot be bought as it is", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 4);
    const adj = await api("POST", `/v1/inventory/${v!.sku}/adjustments`, { token: admin, body: { delta: -3, reason: "breakage" } });
    expect(adj.status).toBe(200);
    const res = await checkout(c.token, { ...checkoutBody(), expectedTotal: { amount: 1, currency: "USD" } });
    expect(res.body).toStrictEqual(problem(409, "OUT_OF_STOCK", [{ path: v!.sku, message: expect.any(String), sku: v!.sku, requested: 4, available: 2 }]));
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 2, reserved: 0, available: 2 });
  });

  it("is 400 for an expectedTotal that is not Money, before any order exists", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 1);
    for (const [expectedTotal, path] of [
      [{ amount: -1, currency: "USD" }, "expectedTotal.amount"],
      [{ amount: 10.5, currency: "USD" }, "expectedTotal.amount"],
      [{ amount: 100, currency: "usd" }, "expectedTotal.currency"],
      [{ amount: 100 }, "expectedTotal.currency"],
      [1999, "expectedTotal"],
    ] as const) {
      const res = await checkout(c.token, { ...checkoutBody(), expectedTotal });
      expect(res.body, JSON.stringify(expectedTotal)).toStrictEqual(problem(400, "VALIDATION_FAILED", [{ path, message: expect.any(String) }]));
    }
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 5, reserved: 0, available: 5 });
  });
});

describe("POST /v1/checkout idempotency", () => {
  it("replays the same key and body with idempotent-replayed: true, and refuses a different body with 422", async () => {
    const c = await customer();
    const [v] = await product(admin, [10]);
    await addToCart(c.token, v!.sku, 2);
    const key = uid();
    const first = await checkout(c.token, checkoutBody(), key);
    expect(first.status).toBe(201);
    const again = await checkout(c.token, checkoutBody(), key);
    expect(again.status).toBe(201);
    expect(again.body).toStrictEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const other = await checkout(c.token, checkoutBody("tok_mastercard"), key);
    expect(other.status).toBe(422);
    expect(other.body).toStrictEqual(problem(422, "IDEMPOTENCY_KEY_REUSED"));
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 8, reserved: 0, available: 8 });
  });

  it("replays an error too (same status and body)", async () => {
    const c = await customer();
    const [v] = await product(admin, [3]);
    await addToCart(c.token, v!.sku, 1);
    const key = uid();
    const first = await checkout(c.token, checkoutBody("tok_chargeDeclined"), key);
    expect(first.status).toBe(402);
    const again = await checkout(c.token, checkoutBody("tok_chargeDeclined"), key);
    expect(again.status).toBe(402);
    expect(again.body).toStrictEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("creates exactly one order and one charge for ten concurrent submissions of one key", async () => {
    const c = await customer();
    const [v] = await product(admin, [10]);
    await addToCart(c.token, v!.sku, 2);
    const key = uid();
    const results = await Promise.all(Array.from({ length: 10 }, () => checkout(c.token, checkoutBody(), key)));
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.body).toStrictEqual(problem(409, "IDEMPOTENCY_IN_PROGRESS"));
      expect(r.headers.get("retry-after")).toBe("1");
    }
    const orderId = created[0]!.body.id;
    const replay = await checkout(c.token, checkoutBody(), key);
    expect(replay.body.id).toBe(orderId);
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 8, reserved: 0, available: 8 });
    const orders = await eventually(async () => {
      const list = (await api<{ items: Order[] }>("GET", "/v1/orders", { token: c.token })).body.items;
      expect(list).toHaveLength(1);
      return list;
    });
    expect(orders.map((o) => o.id)).toStrictEqual([orderId]);
    expect((await payments(c.token, orderId)).map((p) => p.status)).toStrictEqual(["captured"]);
  });

  it("answers the same key while its checkout runs with 409 IDEMPOTENCY_IN_PROGRESS and retry-after: 1, after which it replays", async () => {
    // Five submissions of one key at once: the first claims it, the others reach the cart while its saga runs.
    let found: { c: Customer; key: string; res: ApiResult<Order> } | undefined;
    for (let attempt = 0; attempt < 5 && !found; attempt++) {
      const c = await customer();
      const variants = await product(admin, [5, 5, 5, 5]);
      for (const v of variants) expect((await addToCart(c.token, v.sku, 1)).status).toBe(200);
      const key = uid();
      const results = await Promise.all(Array.from({ length: 5 }, () => checkout(c.token, checkoutBody(), key)));
      const res = results.find((r) => r.status === 409);
      if (res) found = { c, key, res };
    }
    if (!found) throw new Error("no submission reached the cart while the first checkout ran, in 5 tries");
    expect(found.res.body).toStrictEqual(problem(409, "IDEMPOTENCY_IN_PROGRESS"));
    expect(found.res.headers.get("retry-after")).toBe("1");
    await new Promise((r) => setTimeout(r, 1_000));
    const replay = await checkout(found.c.token, checkoutBody(), found.key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("retry-after")).toBeNull();
  });

  it("scopes keys per user", async () => {
    const [a, b] = await Promise.all([customer(), customer()]);
    const [v] = await product(admin, [10]);
    await addToCart(a.token, v!.sku, 1);
    await addToCart(b.token, v!.sku, 1);
    const key = uid();
    const [ra, rb] = await Promise.all([checkout(a.token, checkoutBody(), key), checkout(b.token, checkoutBody(), key)]);
    expect([ra.status, rb.status]).toStrictEqual([201, 201]);
    expect(ra.body.id).not.toBe(rb.body.id);
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("the oversell race", () => {
  it("60 customers, 10 units: exactly 10 paid, 50 OUT_OF_STOCK, no 5xx, stock and payments agree", async () => {
    const [v] = await product(admin, [10]);
    // Setting up 60 shoppers is not what is under test: do it in batches, then race the checkouts all at once.
    const shoppers: Awaited<ReturnType<typeof customer>>[] = [];
    for (let i = 0; i < 6; i++) shoppers.push(...(await Promise.all(Array.from({ length: 10 }, () => customer()))));
    for (let i = 0; i < 60; i += 10) {
      const adds = await Promise.all(shoppers.slice(i, i + 10).map((s) => addToCart(s.token, v!.sku, 1)));
      expect(adds.map((a) => a.status)).toStrictEqual(Array(10).fill(200));
    }
    const results = await Promise.all(shoppers.map((s) => checkout(s.token)));
    expect(results.filter((r) => r.status >= 500)).toStrictEqual([]);
    const paid = results.filter((r) => r.status === 201);
    expect(paid).toHaveLength(10);
    expect(results.filter((r) => r.status === 409 && (r.body as unknown as { code: string }).code === "OUT_OF_STOCK")).toHaveLength(50);
    expect(await inventory(admin, v!.sku)).toStrictEqual({ sku: v!.sku, onHand: 0, reserved: 0, available: 0 });
    const captured = await Promise.all(
      paid.map(async (r) => eventually(async () => {
        const items = await payments(admin, r.body.id);
        expect(items.map((p) => p.status)).toStrictEqual(["captured"]);
        return items;
      }, 30_000)),
    );
    expect(captured.flat()).toHaveLength(10);
  });
});

describe("catalog reads after a checkout and a cancel", () => {
  interface ProductDoc {
    category: { slug: string };
    variants: { sku: string; available: number }[];
  }
  const availability = (p: ProductDoc) => p.variants.map((v) => ({ sku: v.sku, available: v.available }));

  it("a product read cached before the checkout shows the sold units at once, and shows them back after the cancel", async () => {
    const c = await customer();
    const [v, w] = await product(admin, [10, 4]);
    const productPath = `/v1/products/${v!.productId}`;
    const readProduct = async () => availability((await api<ProductDoc>("GET", productPath)).body);
    const first = await api<ProductDoc>("GET", productPath);
    expect(first.status).toBe(200);
    const listPath = `/v1/products?category=${first.body.category.slug}`;
    const readList = async () => (await api<{ items: ProductDoc[] }>("GET", listPath)).body.items.map(availability);
    const stocked = [{ sku: v!.sku, available: 10 }, { sku: w!.sku, available: 4 }];
    expect(availability(first.body)).toStrictEqual(stocked);
    expect(await readList()).toStrictEqual([stocked]);

    await addToCart(c.token, v!.sku, 2);
    const order = await checkout(c.token);
    expect(order.status).toBe(201);
    const sold = [{ sku: v!.sku, available: 8 }, { sku: w!.sku, available: 4 }];
    expect(await readProduct()).toStrictEqual(sold);
    expect(await readList()).toStrictEqual([sold]);

    expect((await api("POST", `/v1/orders/${order.body.id}/cancel`, { token: c.token })).status).toBe(200);
    expect(await readProduct()).toStrictEqual(stocked);
    expect(await readList()).toStrictEqual([stocked]);
  });
});
