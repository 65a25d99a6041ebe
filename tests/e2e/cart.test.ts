import { beforeAll, describe, expect, it } from "vitest";
import type { Cart } from "../../shared/schemas/cart.ts";
import { addToCart, adminToken, api, checkout, customer, problem, product, type Variant } from "./orders-support.ts";

let admin = "";

beforeAll(async () => {
  admin = await adminToken();
});

function line(v: Variant, quantity: number) {
  return {
    sku: v.sku,
    productId: v.productId,
    title: v.title,
    quantity,
    unitPrice: v.price,
    lineTotal: { amount: v.price.amount * quantity, currency: v.price.currency },
  };
}

describe("GET /v1/cart", () => {
  it("is an empty cart at first, with an id that stays the same", async () => {
    const c = await customer();
    const first = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect(first.status).toBe(200);
    expect(first.body).toStrictEqual({ id: expect.any(String), items: [], subtotal: { amount: 0, currency: "USD" }, updatedAt: expect.any(String) });
    const again = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect(again.body.id).toBe(first.body.id);
  });

  it("is 401 without a token and 403 for an admin", async () => {
    expect((await api("GET", "/v1/cart")).body).toStrictEqual(problem(401, "UNAUTHENTICATED"));
    expect((await api("GET", "/v1/cart", { token: admin })).body).toStrictEqual(problem(403, "FORBIDDEN"));
  });

  it("shows the catalog's current price once an admin changed it, and keeps lines of other SKUs as they are", async () => {
    const c = await customer();
    const [v, w] = await product(admin, [5, 5]);
    await addToCart(c.token, v!.sku, 2);
    await addToCart(c.token, w!.sku, 1);
    const patched = await api("PATCH", `/v1/products/${v!.productId}`, { token: admin, body: { variants: [{ sku: v!.sku, price: { amount: 9900, currency: "USD" } }] } });
    expect(patched.status).toBe(200);
    const now = { ...v!, price: { amount: 9900, currency: "USD" } };
    const cart = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect(cart.body.items).toStrictEqual([line(now, 2), line(w!, 1)]);
    expect(cart.body.subtotal).toStrictEqual({ amount: 9900 * 2 + w!.price.amount, currency: "USD" });
  });

  it("moves updatedAt when a line's price changed, not when only a title did, and a look at the cart is no activity", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    const added = await addToCart(c.token, v!.sku, 1);
    const read = async () => (await api<Cart>("GET", "/v1/cart", { token: c.token })).body;
    const idle = await read();
    expect(idle.updatedAt).toBe(added.body.updatedAt);
    await new Promise((r) => setTimeout(r, 20));
    expect((await api("PATCH", `/v1/products/${v!.productId}`, { token: admin, body: { title: `Renamed ${v!.sku}` } })).status).toBe(200);
    const renamed = await read();
    expect(renamed.items[0]!.title).toBe(`Renamed ${v!.sku} - V0`);
    expect(renamed.updatedAt).toBe(added.body.updatedAt);
    const before = Date.now();
    expect((await api("PATCH", `/v1/products/${v!.productId}`, { token: admin, body: { variants: [{ sku: v!.sku, price: { amount: 4321, currency: "USD" } }] } })).status).toBe(200);
    const repriced = await read();
    expect(repriced.items[0]!.unitPrice).toStrictEqual({ amount: 4321, currency: "USD" });
    expect(Date.parse(repriced.updatedAt)).toBeGreaterThanOrEqual(before);
    // Once: reading the repriced cart again changes nothing.
    await new Promise((r) => setTimeout(r, 20));
    expect((await read()).updatedAt).toBe(repriced.updatedAt);
  });

  it("answers every write with the cart at current prices, as GET shows it", async () => {
    const c = await customer();
    const [v, w] = await product(admin, [5, 5]);
    await addToCart(c.token, v!.sku, 2);
    const patched = await api("PATCH", `/v1/products/${v!.productId}`, { token: admin, body: { variants: [{ sku: v!.sku, price: { amount: 9900, currency: "USD" } }] } });
    expect(patched.status).toBe(200);
    const now = { ...v!, price: { amount: 9900, currency: "USD" } };
    // No GET in between: the add's own answer already carries the other line's new price.
    const added = await addToCart(c.token, w!.sku, 1);
    expect(added.body.items).toStrictEqual([line(now, 2), line(w!, 1)]);
    expect(added.body.subtotal).toStrictEqual({ amount: 9900 * 2 + w!.price.amount, currency: "USD" });
    const again = await api("PATCH", `/v1/products/${v!.productId}`, { token: admin, body: { variants: [{ sku: v!.sku, price: { amount: 1200, currency: "USD" } }] } });
    expect(again.status).toBe(200);
    const later = { ...v!, price: { amount: 1200, currency: "USD" } };
    const updated = await api<Cart>("PATCH", `/v1/cart/items/${v!.sku}`, { token: c.token, body: { quantity: 3 } });
    expect(updated.body.items).toStrictEqual([line(later, 3), line(w!, 1)]);
    expect(updated.body.subtotal).toStrictEqual({ amount: 1200 * 3 + w!.price.amount, currency: "USD" });
    const removed = await api<Cart>("DELETE", `/v1/cart/items/${w!.sku}`, { token: c.token });
    expect(removed.body.items).toStrictEqual([line(later, 3)]);
    expect(removed.body.subtotal).toStrictEqual({ amount: 1200 * 3, currency: "USD" });
  });

  it("never adds up two currencies: a product that changed currency is left out of the subtotal and named at checkout", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    const [w] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 2);
    await addToCart(c.token, w!.sku, 1);
    expect((await api("PATCH", `/v1/products/${w!.productId}`, { token: admin, body: { variants: [{ sku: w!.sku, price: { amount: 800, currency: "EUR" } }] } })).status).toBe(200);
    const cart = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect(cart.body.items).toStrictEqual([line(v!, 2), { ...line({ ...w!, price: { amount: 800, currency: "EUR" } }, 1), excludedFromSubtotal: "OTHER_CURRENCY" }]);
    expect(cart.body.subtotal).toStrictEqual({ amount: v!.price.amount * 2, currency: "USD" });
    const refused = await checkout(c.token);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: "VALIDATION_FAILED", errors: [{ path: w!.sku, message: expect.stringContaining("now priced in EUR") }] });
    expect(await api("GET", `/v1/inventory/${v!.sku}`, { token: admin })).toMatchObject({ body: { reserved: 0, available: 5 } });
  });

  it("keeps the currency it was started in when its first line's product changes currency, and blames that line", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    const [w] = await product(admin, [5]);
    const [x] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 1);
    await addToCart(c.token, w!.sku, 2);
    expect((await api("PATCH", `/v1/products/${v!.productId}`, { token: admin, body: { variants: [{ sku: v!.sku, price: { amount: 450, currency: "EUR" } }] } })).status).toBe(200);
    const cart = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect(cart.body.subtotal).toStrictEqual({ amount: w!.price.amount * 2, currency: "USD" });
    // A EUR product is still refused: the cart is in USD.
    expect((await api("PATCH", `/v1/products/${x!.productId}`, { token: admin, body: { variants: [{ sku: x!.sku, price: { amount: 300, currency: "EUR" } }] } })).status).toBe(200);
    const eur = await api("POST", "/v1/cart/items", { token: c.token, body: { sku: x!.sku, quantity: 1 } });
    expect(eur.body).toMatchObject({ status: 400, code: "VALIDATION_FAILED", errors: [{ path: "sku", message: "Priced in EUR, the cart is in USD" }] });
    const refused = await checkout(c.token);
    expect(refused.body).toMatchObject({ status: 400, code: "VALIDATION_FAILED", errors: [{ path: v!.sku, message: expect.stringContaining(`${v!.sku} is now priced in EUR; the cart is in USD`) }] });
    // Once no line is priced in USD any more, the cart follows its lines.
    expect((await api("PATCH", `/v1/products/${w!.productId}`, { token: admin, body: { variants: [{ sku: w!.sku, price: { amount: 700, currency: "EUR" } }] } })).status).toBe(200);
    const moved = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect(moved.body.subtotal).toStrictEqual({ amount: 450 + 700 * 2, currency: "EUR" });
  });

  it("a line whose product was deleted can be removed but not changed: 404 UNKNOWN_SKU, as adding it is", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    const [w] = await product(admin, [5]);
    await addToCart(c.token, v!.sku, 2);
    await addToCart(c.token, w!.sku, 1);
    expect((await api("DELETE", `/v1/products/${v!.productId}`, { token: admin })).status).toBe(204);
    // The line stays for the customer to see and remove, but is no longer part of what checkout would charge.
    const shown = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect(shown.body.items).toStrictEqual([{ ...line(v!, 2), excludedFromSubtotal: "NO_LONGER_SOLD" }, line(w!, 1)]);
    expect(shown.body.subtotal).toStrictEqual(w!.price);
    const left = await api<Cart>("DELETE", `/v1/cart/items/${w!.sku}`, { token: c.token });
    expect({ status: left.status, items: left.body.items, subtotal: left.body.subtotal }).toStrictEqual({
      status: 200,
      items: [{ ...line(v!, 2), excludedFromSubtotal: "NO_LONGER_SOLD" }],
      subtotal: { amount: 0, currency: "USD" },
    });
    for (const quantity of [1, 3]) {
      const res = await api("PATCH", `/v1/cart/items/${v!.sku}`, { token: c.token, body: { quantity } });
      expect(res.body).toStrictEqual(problem(404, "UNKNOWN_SKU", [{ path: v!.sku, message: `${v!.sku} is no longer sold` }]));
    }
    expect((await api("POST", "/v1/cart/items", { token: c.token, body: { sku: v!.sku, quantity: 1 } })).status).toBe(404);
    const removed = await api<Cart>("PATCH", `/v1/cart/items/${v!.sku}`, { token: c.token, body: { quantity: 0 } });
    expect({ status: removed.status, items: removed.body.items }).toStrictEqual({ status: 200, items: [] });
  });

  it("shows each customer only their own cart", async () => {
    const [a, b] = await Promise.all([customer(), customer()]);
    const [v] = await product(admin, [5]);
    await addToCart(a.token, v!.sku, 2);
    const theirs = await api<Cart>("GET", "/v1/cart", { token: b.token });
    expect(theirs.body.items).toStrictEqual([]);
  });
});

describe("POST /v1/cart/items", () => {
  it("adds a line with a price snapshot, then adds to it", async () => {
    const c = await customer();
    const [v, w] = await product(admin, [10, 10]);
    const added = await addToCart(c.token, v!.sku, 2);
    expect(added.status).toBe(200);
    expect(added.body).toStrictEqual({
      id: expect.any(String),
      items: [line(v!, 2)],
      subtotal: { amount: v!.price.amount * 2, currency: "USD" },
      updatedAt: expect.any(String),
    });
    await addToCart(c.token, w!.sku, 1);
    const more = await addToCart(c.token, v!.sku, 3);
    expect(more.body.items).toStrictEqual([line(v!, 5), line(w!, 1)]);
    expect(more.body.subtotal).toStrictEqual({ amount: v!.price.amount * 5 + w!.price.amount, currency: "USD" });
  });

  it("holds at most 50 different items (400 naming the sku beyond), while its lines can still grow", async () => {
    const c = await customer();
    const fifty = await product(admin, Array.from({ length: 50 }, () => 3));
    for (const v of fifty) expect((await addToCart(c.token, v.sku, 1)).status).toBe(200);
    const [other] = await product(admin, [3]);
    const refused = await addToCart(c.token, other!.sku, 1);
    expect(refused.body).toStrictEqual(problem(400, "VALIDATION_FAILED", [{ path: "sku", message: "At most 50 lines per cart" }]));
    expect((await addToCart(c.token, fifty[0]!.sku, 1)).status).toBe(200);
    const cart = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect({ lines: cart.body.items.length, first: cart.body.items[0]!.quantity }).toStrictEqual({ lines: 50, first: 2 });
  });

  it("rejects quantities outside 1-99 and a missing sku with 400", async () => {
    const c = await customer();
    for (const body of [{ sku: "X", quantity: 0 }, { sku: "X", quantity: 100 }, { sku: "X", quantity: 1.5 }, { quantity: 1 }]) {
      const res = await api("POST", "/v1/cart/items", { token: c.token, body });
      expect(res.status).toBe(400);
      expect(res.body).toStrictEqual(problem(400, "VALIDATION_FAILED", expect.any(Array)));
    }
  });

  it("is 404 UNKNOWN_SKU for a SKU the catalog does not have", async () => {
    const c = await customer();
    const res = await addToCart(c.token, "NO-SUCH-SKU-123", 1);
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual(problem(404, "UNKNOWN_SKU"));
  });

  it("is 404 for SKUs named like JavaScript's built-in properties, as for any unknown SKU", async () => {
    const c = await customer();
    for (const sku of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
      expect(await addToCart(c.token, sku, 1), sku).toMatchObject({ status: 404, body: problem(404, "UNKNOWN_SKU") });
      expect((await api("PATCH", `/v1/cart/items/${sku}`, { token: c.token, body: { quantity: 1 } })).status, sku).toBe(404);
    }
    expect((await api<Cart>("GET", "/v1/cart", { token: c.token })).body.items).toStrictEqual([]);
  });

  it("is 409 OUT_OF_STOCK when the line would exceed what is available, and keeps the line", async () => {
    const c = await customer();
    const [v] = await product(admin, [3]);
    expect((await addToCart(c.token, v!.sku, 2)).status).toBe(200);
    const res = await addToCart(c.token, v!.sku, 2);
    expect(res.status).toBe(409);
    // The line would hold 4: the shortage as text and as numbers, so a client can offer "reduce to 3".
    expect(res.body).toStrictEqual(problem(409, "OUT_OF_STOCK", [{ path: v!.sku, message: `${v!.sku}: requested 4, available 3`, sku: v!.sku, requested: 4, available: 3 }]));
    expect((await api<Cart>("GET", "/v1/cart", { token: c.token })).body.items).toStrictEqual([line(v!, 2)]);
  });

  it("never loses a line under concurrent adds", async () => {
    const c = await customer();
    const variants = await product(admin, [50, 50, 50, 50, 50]);
    await Promise.all(variants.flatMap((v) => [addToCart(c.token, v.sku, 1), addToCart(c.token, v.sku, 2)]));
    const cart = (await api<Cart>("GET", "/v1/cart", { token: c.token })).body;
    expect(cart.items.map((i) => [i.sku, i.quantity]).sort()).toStrictEqual(variants.map((v) => [v.sku, 3]).sort());
  });

  it("never lets concurrent adds push a line past the stock", async () => {
    const c = await customer();
    const [v] = await product(admin, [5]);
    const results = await Promise.all(Array.from({ length: 10 }, () => addToCart(c.token, v!.sku, 1)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    expect((await api<Cart>("GET", "/v1/cart", { token: c.token })).body.items).toStrictEqual([line(v!, 5)]);
  });
});

describe("PATCH /v1/cart/items/{sku}", () => {
  it("sets the quantity and removes the line at 0", async () => {
    const c = await customer();
    const [v, w] = await product(admin, [10, 10]);
    await addToCart(c.token, v!.sku, 1);
    await addToCart(c.token, w!.sku, 1);
    const set = await api<Cart>("PATCH", `/v1/cart/items/${v!.sku}`, { token: c.token, body: { quantity: 7 } });
    expect(set.status).toBe(200);
    expect(set.body.items).toStrictEqual([line(v!, 7), line(w!, 1)]);
    const removed = await api<Cart>("PATCH", `/v1/cart/items/${v!.sku}`, { token: c.token, body: { quantity: 0 } });
    expect(removed.body.items).toStrictEqual([line(w!, 1)]);
  });

  it("is 404 for a line not in the cart, 409 above the stock, 400 outside 0-99", async () => {
    const c = await customer();
    const [v] = await product(admin, [4]);
    expect((await api("PATCH", `/v1/cart/items/${v!.sku}`, { token: c.token, body: { quantity: 1 } })).body).toStrictEqual(problem(404, "NOT_FOUND"));
    await addToCart(c.token, v!.sku, 1);
    const over = await api("PATCH", `/v1/cart/items/${v!.sku}`, { token: c.token, body: { quantity: 5 } });
    expect(over.body).toStrictEqual(problem(409, "OUT_OF_STOCK", [{ path: v!.sku, message: `${v!.sku}: requested 5, available 4`, sku: v!.sku, requested: 5, available: 4 }]));
    const bad = await api("PATCH", `/v1/cart/items/${v!.sku}`, { token: c.token, body: { quantity: 100 } });
    expect(bad.body).toStrictEqual(problem(400, "VALIDATION_FAILED", [{ path: "quantity", message: expect.any(String) }]));
    expect((await api("PATCH", `/v1/cart/items/${v!.sku}`, { body: { quantity: 1 } })).status).toBe(401);
  });
});

describe("DELETE /v1/cart/items/{sku} and DELETE /v1/cart", () => {
  it("removes one line, then empties the cart (204) keeping its id", async () => {
    const c = await customer();
    const [v, w] = await product(admin, [10, 10]);
    await addToCart(c.token, v!.sku, 1);
    const before = await addToCart(c.token, w!.sku, 2);
    const removed = await api<Cart>("DELETE", `/v1/cart/items/${v!.sku}`, { token: c.token });
    expect(removed.status).toBe(200);
    expect(removed.body.items).toStrictEqual([line(w!, 2)]);
    expect((await api("DELETE", `/v1/cart/items/${v!.sku}`, { token: c.token })).body).toStrictEqual(problem(404, "NOT_FOUND"));
    const cleared = await api("DELETE", "/v1/cart", { token: c.token });
    expect(cleared.status).toBe(204);
    const after = await api<Cart>("GET", "/v1/cart", { token: c.token });
    expect(after.body).toStrictEqual({ id: before.body.id, items: [], subtotal: { amount: 0, currency: "USD" }, updatedAt: expect.any(String) });
  });

  it("is 401 without a token and 403 for an admin", async () => {
    expect((await api("DELETE", "/v1/cart")).status).toBe(401);
    expect((await api("DELETE", "/v1/cart", { token: admin })).status).toBe(403);
    expect((await api("DELETE", "/v1/cart/items/X", { token: admin })).status).toBe(403);
  });
});
