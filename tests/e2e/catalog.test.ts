import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { openDb } from "../../shared/db/client.ts";
import { timeOfId } from "../../shared/ids.ts";
import { catalogMeta, inventory, products, variants } from "../../shared/db/schema/index.ts";
import { adminToken, api as call, newCustomer, problemOf, unique } from "./client.ts";
import { eventually } from "./orders-support.ts";

let admin = "";
let customer = "";

beforeAll(async () => {
  admin = await adminToken();
  customer = (await newCustomer()).token;
});

const uid = () => unique("c").toLowerCase();
const problem = (status: number, code: string, errors?: { path: string; message: unknown }[]) => problemOf(status, code, errors ? { errors } : {});

/** Status and body only, so each assertion states both exactly. */
async function api(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
  const res = await call<unknown>(method, path, opts);
  return { status: res.status, body: res.body };
}

async function category(): Promise<{ id: string; name: string; slug: string }> {
  const slug = `cat-${uid()}`;
  const res = await api("POST", "/v1/categories", { token: admin, body: { name: `Category ${slug}`, slug } });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string; slug: string };
}

interface ProductBody {
  id: string;
  title: string;
  variants: { sku: string; title: string; price: { amount: number; currency: string }; available: number; weightGrams: number }[];
}

async function product(categoryId: string, overrides: Record<string, unknown> = {}, stock = [10, 5]): Promise<ProductBody> {
  const tag = uid();
  const body = {
    title: `Lamp ${tag}`,
    description: `A desk lamp ${tag}`,
    categoryId,
    variants: stock.map((initialStock, i) => ({ sku: `SKU-${tag}-${i}`, title: `V${i}`, price: { amount: 1000 + i, currency: "USD" }, initialStock })),
    ...overrides,
  };
  const res = await api("POST", "/v1/products", { token: admin, body });
  expect(res.status).toBe(201);
  return res.body as ProductBody;
}

describe("categories", () => {
  it("creates (admin) and lists categories", async () => {
    const slug = `cat-${uid()}`;
    const created = await api("POST", "/v1/categories", { token: admin, body: { name: "Board games", slug } });
    expect(created).toStrictEqual({ status: 201, body: { id: expect.stringMatching(/^cat_/), name: "Board games", slug } });
    const list = await api("GET", "/v1/categories");
    expect(list.status).toBe(200);
    expect((list.body as { items: unknown[] }).items).toContainEqual(created.body);
  });

  it("refuses a taken slug, a bad slug, no token and a customer", async () => {
    const c = await category();
    expect(await api("POST", "/v1/categories", { token: admin, body: { name: "Again", slug: c.slug } })).toStrictEqual({
      status: 409,
      body: problem(409, "SLUG_TAKEN", [{ path: "slug", message: expect.any(String) }]),
    });
    expect(await api("POST", "/v1/categories", { token: admin, body: { name: "Bad", slug: "Not A Slug" } })).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "slug", message: expect.any(String) }]),
    });
    expect((await api("POST", "/v1/categories", { body: { name: "x", slug: `s-${uid()}` } })).status).toBe(401);
    expect((await api("POST", "/v1/categories", { token: customer, body: { name: "x", slug: `s-${uid()}` } })).status).toBe(403);
  });
});

describe("products: create and get", () => {
  it("creates a product and serves it publicly with live availability", async () => {
    const c = await category();
    const tag = uid();
    const body = {
      title: "Edge Lamp",
      description: "Bright.",
      categoryId: c.id,
      variants: [
        { sku: `L-${tag}-S`, title: "Small", price: { amount: 1999, currency: "USD" }, initialStock: 7, weightGrams: 900 },
        { sku: `L-${tag}-M`, title: "Medium", price: { amount: 2999, currency: "USD" }, initialStock: 3 },
      ],
    };
    const created = await api("POST", "/v1/products", { token: admin, body });
    const expected = {
      id: expect.stringMatching(/^prd_/),
      title: "Edge Lamp",
      description: "Bright.",
      category: c,
      variants: [
        { sku: `L-${tag}-S`, title: "Small", price: { amount: 1999, currency: "USD" }, available: 7, weightGrams: 900 },
        { sku: `L-${tag}-M`, title: "Medium", price: { amount: 2999, currency: "USD" }, available: 3, weightGrams: 500 },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    };
    expect(created).toStrictEqual({ status: 201, body: expected });
    const id = (created.body as ProductBody).id;
    // Dated when its id was minted: products listed by id are listed by createdAt.
    const dated = created.body as { createdAt: string; updatedAt: string };
    expect([dated.createdAt, dated.updatedAt]).toStrictEqual([new Date(timeOfId(id)!).toISOString(), new Date(timeOfId(id)!).toISOString()]);
    expect(await api("GET", `/v1/products/${id}`)).toStrictEqual({ status: 200, body: created.body });
    expect(await api("GET", `/v1/inventory/L-${tag}-S`, { token: admin })).toStrictEqual({ status: 200, body: { sku: `L-${tag}-S`, onHand: 7, reserved: 0, available: 7 } });
  });

  it("stores any price the schema takes, up to 10^10 minor units (past 2^31 too), and refuses more with 400", async () => {
    const c = await category();
    const p = await product(c.id, { variants: [{ sku: `BIG-${uid()}`, title: "Big", price: { amount: 10_000_000_000, currency: "USD" }, initialStock: 1 }] });
    expect(p.variants[0]!.price).toStrictEqual({ amount: 10_000_000_000, currency: "USD" });
    expect(((await api("GET", `/v1/products/${p.id}`)).body as ProductBody).variants[0]!.price.amount).toBe(10_000_000_000);
    const patched = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { variants: [{ sku: p.variants[0]!.sku, price: { amount: 2_147_483_648, currency: "USD" } }] } });
    expect(patched.status).toBe(200);
    expect((patched.body as ProductBody).variants[0]!.price.amount).toBe(2_147_483_648);
    const tooMuch = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { variants: [{ sku: p.variants[0]!.sku, price: { amount: 10_000_000_001, currency: "USD" } }] } });
    expect(tooMuch).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.price.amount", message: expect.any(String) }]) });
  });

  it("keeps one currency per product: a patch changes every variant's currency or none", async () => {
    const c = await category();
    const p = await product(c.id, {}, [3, 3]);
    const [a, b] = p.variants.map((v) => v.sku) as [string, string];
    const one = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { variants: [{ sku: a, price: { amount: 5000, currency: "EUR" } }] } });
    expect(one).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.price.currency", message: "All variants of a product share one currency (USD)" }]) });
    const split = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { variants: [{ sku: a, price: { amount: 5000, currency: "USD" } }, { sku: b, price: { amount: 5000, currency: "EUR" } }] } });
    expect(split).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.1.price.currency", message: "All variants of a product share one currency (USD)" }]) });
    expect(((await api("GET", `/v1/products/${p.id}`)).body as ProductBody).variants.map((v) => v.price)).toStrictEqual([{ amount: 1000, currency: "USD" }, { amount: 1001, currency: "USD" }]);
    const all = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { variants: [{ sku: a, price: { amount: 900, currency: "EUR" } }, { sku: b, price: { amount: 950, currency: "EUR" } }] } });
    expect(all.status).toBe(200);
    expect((all.body as ProductBody).variants.map((v) => v.price)).toStrictEqual([{ amount: 900, currency: "EUR" }, { amount: 950, currency: "EUR" }]);
  });

  it("refuses control characters in a title (a description keeps its lines), naming the field", async () => {
    const c = await category();
    const p = await product(c.id, {}, [1]);
    const bad = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { title: "Lamp\nfor sale", description: "tab\u0007" } });
    expect(bad).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "title", message: expect.any(String) }, { path: "description", message: expect.any(String) }]) });
    const lines = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { description: "Line one.\n\tLine two." } });
    expect(lines.status).toBe(200);
    expect((lines.body as { description: string }).description).toBe("Line one.\n\tLine two.");
  });

  it("trims spaces around a SKU in a body, as a cart line does; a path names it exactly", async () => {
    const c = await category();
    const sku = `TRIM-${uid()}`;
    const created = await product(c.id, { variants: [{ sku: `  ${sku} `, title: "One", price: { amount: 100, currency: "USD" }, initialStock: 3 }] });
    expect(created.variants.map((v) => v.sku)).toStrictEqual([sku]);
    const patched = await api("PATCH", `/v1/products/${created.id}`, { token: admin, body: { variants: [{ sku: ` ${sku}\t`, price: { amount: 250, currency: "USD" } }] } });
    expect((patched.body as ProductBody).variants.map((v) => [v.sku, v.price.amount])).toStrictEqual([[sku, 250]]);
    // Spaces around a SKU that is taken are still that SKU: 409, not a second one.
    const again = await api("POST", "/v1/products", { token: admin, body: { title: "Again", description: "", categoryId: c.id, variants: [{ sku: ` ${sku}`, title: "a", price: { amount: 1, currency: "USD" }, initialStock: 1 }] } });
    expect(again).toStrictEqual({ status: 409, body: problem(409, "SKU_TAKEN", [{ path: "variants.0.sku", message: `SKU ${sku} is taken` }]) });
    expect((await api("GET", `/v1/inventory/%20${sku}`, { token: admin })).status).toBe(400);
  });

  it("refuses taken SKUs, unknown categories, invalid bodies, no token and customers", async () => {
    const c = await category();
    const p = await product(c.id);
    const sku = p.variants[0]!.sku;
    const dup = { title: "Dup", description: "", categoryId: c.id, variants: [{ sku: `N-${uid()}`, title: "a", price: { amount: 1, currency: "USD" }, initialStock: 1 }, { sku, title: "b", price: { amount: 1, currency: "USD" }, initialStock: 1 }] };
    expect(await api("POST", "/v1/products", { token: admin, body: dup })).toStrictEqual({ status: 409, body: problem(409, "SKU_TAKEN", [{ path: "variants.1.sku", message: `SKU ${sku} is taken` }]) });
    expect(await api("POST", "/v1/products", { token: admin, body: { ...dup, categoryId: "cat_missing", variants: [dup.variants[0]] } })).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "categoryId", message: expect.any(String) }]),
    });
    const badPrice = { ...dup, variants: [{ ...dup.variants[0], price: { amount: 1.5, currency: "USD" } }] };
    expect(await api("POST", "/v1/products", { token: admin, body: badPrice })).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.price.amount", message: expect.any(String) }]) });
    for (const currency of ["XYZ", "usd"]) {
      const badCurrency = { ...dup, variants: [{ ...dup.variants[0], price: { amount: 100, currency } }] };
      expect(await api("POST", "/v1/products", { token: admin, body: badCurrency })).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.price.currency", message: expect.any(String) }]) });
    }
    // A product's variants share one currency (so a cart of them has one subtotal).
    const mixed = { ...dup, variants: [dup.variants[0], { ...dup.variants[0], sku: `N-${uid()}`, price: { amount: 100, currency: "EUR" } }] };
    expect(await api("POST", "/v1/products", { token: admin, body: mixed })).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.1.price.currency", message: "All variants of a product share one currency (USD)" }]) });
    const twice = { ...dup, variants: [dup.variants[0], dup.variants[0]] };
    expect(await api("POST", "/v1/products", { token: admin, body: twice })).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.1.sku", message: expect.any(String) }]) });
    expect((await api("POST", "/v1/products", { token: admin, body: { ...dup, variants: [] } })).status).toBe(400);
    expect((await api("POST", "/v1/products", { body: dup })).status).toBe(401);
    expect((await api("POST", "/v1/products", { token: customer, body: dup })).status).toBe(403);
  });

  it("answers 404 for an unknown product", async () => {
    expect(await api("GET", "/v1/products/prd_00000000000000000000000000ff")).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
  });
});

describe("products: list", () => {
  it("filters by category slug and by text in title or description, case-insensitively", async () => {
    const c = await category();
    const word = `zq${uid()}`;
    const a = await product(c.id, { title: `The ${word.toUpperCase()} lamp` });
    const b = await product(c.id, { description: `contains ${word} inside` });
    await product(c.id);
    const other = await category();
    await product(other.id, { title: `${word} elsewhere` });
    const res = await api("GET", `/v1/products?category=${c.slug}&q=${word}`);
    expect(res.status).toBe(200);
    expect((res.body as { items: ProductBody[] }).items.map((p) => p.id)).toStrictEqual([a.id, b.id]);
    expect(await api("GET", `/v1/products?category=no-such-${uid()}`)).toStrictEqual({ status: 200, body: { items: [], nextCursor: null } });
    expect(await api("GET", "/v1/products?q=%25")).toMatchObject({ status: 200 });
  });

  it("matches text in Unicode compatibility form, whichever way either side spells it", async () => {
    const c = await category();
    const word = `zq${uid()}`;
    // Stored precomposed (é as U+00E9), and decomposed (e + U+0301 combining acute).
    const composed = await product(c.id, { title: `Crème brûlée ${word}` });
    const decomposed = await product(c.id, { description: `Cafe\u0301 ${word} au lait` });
    const search = async (q: string) => {
      const res = await api("GET", `/v1/products?category=${c.slug}&q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      return (res.body as { items: ProductBody[] }).items.map((p) => p.id);
    };
    expect(await search("cre\u0300me")).toStrictEqual([composed.id]);
    expect(await search("CRÈME BRÛLÉE")).toStrictEqual([composed.id]);
    expect(await search("café")).toStrictEqual([decomposed.id]);
    // Full-width letters (U+FF21...) are their ASCII compatibility form.
    const fullWidth = [...word.toUpperCase()].map((ch) => (/[A-Z0-9]/.test(ch) ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch)).join("");
    expect(await search(fullWidth)).toStrictEqual([composed.id, decomposed.id]);
    // A full-width percent sign is a percent sign, matched literally, not a wildcard.
    expect(await search("\uFF05")).toStrictEqual([]);
  });

  it("refuses an out-of-range limit and a foreign cursor", async () => {
    expect(await api("GET", "/v1/products?limit=0")).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "limit", message: expect.any(String) }]) });
    expect((await api("GET", "/v1/products?limit=101")).status).toBe(400);
    expect(await api("GET", "/v1/products?cursor=not-ours")).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "cursor", message: expect.any(String) }]) });
    // Another list's cursor (the users list's, here) is no place in this one: 400, not an empty or a first page.
    await Promise.all([newCustomer(), newCustomer()]);
    const { nextCursor } = (await api("GET", "/v1/users?limit=1", { token: admin })).body as { nextCursor: string | null };
    expect(nextCursor).toEqual(expect.any(String));
    for (const path of [`/v1/products?cursor=${nextCursor}`, `/v1/orders?cursor=${nextCursor}`]) {
      const res = await api("GET", path, { token: admin });
      expect(res, path).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "cursor", message: expect.any(String) }]) });
    }
  });

  it("walks pages without duplicates or gaps while products are added and deleted", async () => {
    const c = await category();
    const originals: ProductBody[] = [];
    for (let i = 0; i < 7; i++) originals.push(await product(c.id, {}, [1]));
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const res = await api("GET", `/v1/products?category=${c.slug}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const body = res.body as { items: ProductBody[]; nextCursor: string | null };
      seen.push(...body.items.map((p) => p.id));
      cursor = body.nextCursor;
      // Churn between pages: a new product (sorts last) and the deletion of one already seen.
      if (page++ === 1) {
        await product(c.id, {}, [1]);
        expect((await api("DELETE", `/v1/products/${originals[0]!.id}`, { token: admin })).status).toBe(204);
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const p of originals) expect(seen).toContain(p.id);
    expect(seen).toHaveLength(8);
  });
});

describe("products: patch and delete (cache invalidation)", () => {
  it("shows a new price and title on the very next read, keeping unnamed variants' prices", async () => {
    const c = await category();
    const p = await product(c.id);
    const [v0, v1] = p.variants;
    await api("GET", `/v1/products/${p.id}`);
    await api("GET", `/v1/products?category=${c.slug}`);
    const patched = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { title: "Renamed", variants: [{ sku: v1!.sku, price: { amount: 4242, currency: "USD" } }] } });
    expect(patched.status).toBe(200);
    const got = await api("GET", `/v1/products/${p.id}`);
    expect(got).toStrictEqual({ status: 200, body: patched.body });
    const body = got.body as ProductBody;
    expect(body.title).toBe("Renamed");
    expect(body.variants.map((v) => v.price.amount)).toStrictEqual([v0!.price.amount, 4242]);
    const listed = await api("GET", `/v1/products?category=${c.slug}`);
    expect((listed.body as { items: ProductBody[] }).items).toStrictEqual([patched.body]);
  });

  it("corrects a variant's weight and title on the very next read, in Postgres and in what a cart is priced from, keeping what is not sent", async () => {
    const c = await category();
    const p = await product(c.id);
    const [v0, v1] = p.variants as [ProductBody["variants"][number], ProductBody["variants"][number]];
    // Created without a weight: the documented default.
    expect(p.variants.map((v) => v.weightGrams)).toStrictEqual([500, 500]);
    // Warm every read cache the patch must move: the product, its page, and the cart's price look-up.
    await api("GET", `/v1/products/${p.id}`);
    await api("GET", `/v1/products?category=${c.slug}`);
    const shopper = await newCustomer();
    expect((await api("POST", "/v1/cart/items", { token: shopper.token, body: { sku: v1.sku, quantity: 1 } })).status).toBe(200);
    const patched = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { variants: [{ sku: v0.sku, weightGrams: 25_000 }, { sku: v1.sku, title: "One (25 kg)" }] } });
    expect(patched).toStrictEqual({
      status: 200,
      body: {
        ...p,
        variants: [
          { ...v0, weightGrams: 25_000 },
          { ...v1, title: "One (25 kg)" },
        ],
        updatedAt: expect.any(String),
      },
    });
    expect(await api("GET", `/v1/products/${p.id}`)).toStrictEqual({ status: 200, body: patched.body });
    expect(await api("GET", `/v1/products?category=${c.slug}`)).toStrictEqual({ status: 200, body: { items: [patched.body], nextCursor: null } });
    const cart = await api("GET", "/v1/cart", { token: shopper.token });
    expect((cart.body as { items: { sku: string; title: string }[] }).items.map((i) => [i.sku, i.title])).toStrictEqual([[v1.sku, `${p.title} - One (25 kg)`]]);
    // Price, title and weight together; each is stored.
    const all = await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { variants: [{ sku: v1.sku, price: { amount: 777, currency: "USD" }, title: "One", weightGrams: 0 }] } });
    expect((all.body as ProductBody).variants[1]).toStrictEqual({ ...v1, title: "One", price: { amount: 777, currency: "USD" }, weightGrams: 0 });
    const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
    try {
      const rows = await db.select({ sku: variants.sku, title: variants.title, weightGrams: variants.weightGrams, priceAmount: variants.priceAmount }).from(variants).where(eq(variants.productId, p.id)).orderBy(variants.position);
      expect(rows).toStrictEqual([
        { sku: v0.sku, title: "V0", weightGrams: 25_000, priceAmount: v0.price.amount },
        { sku: v1.sku, title: "One", weightGrams: 0, priceAmount: 777 },
      ]);
    } finally {
      await pool.end();
    }
  });

  it("refuses a variant entry that names nothing to change, bad weights and titles, and keeps one currency with variants patched without a price", async () => {
    const c = await category();
    const p = await product(c.id);
    const [a, b] = p.variants.map((v) => v.sku) as [string, string];
    const other = await product(c.id);
    const patch = (variantsBody: unknown[]) => api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { title: "Never applied", variants: variantsBody } });
    expect(await patch([{ sku: a }])).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0", message: "Name at least one of price, title, weightGrams to change" }]) });
    // Unknown keys do not count as a change.
    expect(await patch([{ sku: a, weightGrams: 10 }, { sku: b, initialStock: 5 }])).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "variants.1", message: "Name at least one of price, title, weightGrams to change" }]),
    });
    for (const weightGrams of [-1, 1.5, 1_000_001, "900"]) {
      expect(await patch([{ sku: a, weightGrams }])).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.weightGrams", message: expect.any(String) }]) });
    }
    for (const title of ["", "a\u0000b", "x".repeat(201)]) {
      expect(await patch([{ sku: a, title }])).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.title", message: expect.any(String) }]) });
    }
    expect(await patch([{ sku: other.variants[0]!.sku, weightGrams: 10 }])).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.sku", message: `SKU ${other.variants[0]!.sku} is not a variant of this product` }]),
    });
    expect(await patch([{ sku: a, weightGrams: 10 }, { sku: a, title: "Twice" }])).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "variants.1.sku", message: "Duplicate SKU in this request" }]) });
    // b named without a price keeps its USD price, so a's EUR price would mix currencies.
    expect(await patch([{ sku: a, price: { amount: 5000, currency: "EUR" } }, { sku: b, weightGrams: 10 }])).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.price.currency", message: "All variants of a product share one currency (USD)" }]),
    });
    expect(await patch([{ sku: b, weightGrams: 10 }, { sku: a, price: { amount: 5000, currency: "EUR" } }])).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "variants.1.price.currency", message: "All variants of a product share one currency (USD)" }]),
    });
    expect(await api("GET", `/v1/products/${p.id}`)).toStrictEqual({ status: 200, body: p });
  });

  it("refuses unknown products, foreign SKUs, unknown categories, no token and customers", async () => {
    const c = await category();
    const p = await product(c.id);
    const other = await product(c.id);
    expect(await api("PATCH", "/v1/products/prd_00000000000000000000000000ff", { token: admin, body: { title: "x" } })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    expect(await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { variants: [{ sku: other.variants[0]!.sku, price: { amount: 1, currency: "USD" } }] } })).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "variants.0.sku", message: expect.any(String) }]),
    });
    expect((await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { categoryId: "cat_missing" } })).status).toBe(400);
    expect((await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { title: "" } })).status).toBe(400);
    expect((await api("PATCH", `/v1/products/${p.id}`, { body: { title: "x" } })).status).toBe(401);
    expect((await api("PATCH", `/v1/products/${p.id}`, { token: customer, body: { title: "x" } })).status).toBe(403);
  });

  it("hides a deleted product at once and stops selling its SKUs", async () => {
    const c = await category();
    const p = await product(c.id);
    await api("GET", `/v1/products/${p.id}`);
    await api("GET", `/v1/products?category=${c.slug}`);
    expect((await api("DELETE", `/v1/products/${p.id}`, { token: customer })).status).toBe(403);
    expect((await api("DELETE", `/v1/products/${p.id}`)).status).toBe(401);
    expect(await api("DELETE", `/v1/products/${p.id}`, { token: admin })).toStrictEqual({ status: 204, body: null });
    expect((await api("GET", `/v1/products/${p.id}`)).status).toBe(404);
    expect(await api("GET", `/v1/products?category=${c.slug}`)).toStrictEqual({ status: 200, body: { items: [], nextCursor: null } });
    expect((await api("DELETE", `/v1/products/${p.id}`, { token: admin })).status).toBe(404);
    expect((await api("GET", `/v1/inventory/${p.variants[0]!.sku}`, { token: admin })).status).toBe(404);
  });
});

describe("products: per-product cache keys", () => {
  const title = async (id: string) => ((await api("GET", `/v1/products/${id}`)).body as ProductBody).title;

  it("shows every product's last write when writes to several products interleave", async () => {
    const c = await category();
    const [a, b] = [await product(c.id), await product(c.id)];
    const expected = new Map([[a.id, a.title], [b.id, b.title]]);
    expect([await title(a.id), await title(b.id)]).toStrictEqual([a.title, b.title]);
    for (const [p, t] of [[a, "A1"], [b, "B1"], [a, "A2"], [b, "B2"], [a, "A3"]] as const) {
      expect((await api("PATCH", `/v1/products/${p.id}`, { token: admin, body: { title: t } })).status).toBe(200);
      expected.set(p.id, t);
      expect([await title(a.id), await title(b.id)]).toStrictEqual([expected.get(a.id), expected.get(b.id)]);
    }
    expect([await title(a.id), await title(b.id)]).toStrictEqual(["A3", "B2"]);
    expect(await api("DELETE", `/v1/products/${b.id}`, { token: admin })).toStrictEqual({ status: 204, body: null });
    expect((await api("GET", `/v1/products/${b.id}`)).status).toBe(404);
    expect(await title(a.id)).toBe("A3");
  });

  it("reloads every product when a version arrives without its change record (as an older build writes it)", async () => {
    const c = await category();
    const p = await product(c.id);
    expect(await title(p.id)).toBe(p.title);
    const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
    try {
      // What a catalog build from before catalog_changes did on a write: change the row, bump the version.
      await db.update(products).set({ title: "Written by the old build", updatedAt: new Date() }).where(eq(products.id, p.id));
      await db.update(catalogMeta).set({ version: sql`${catalogMeta.version} + 1` }).where(eq(catalogMeta.id, 1));
    } finally {
      await pool.end();
    }
    // Within the caches' version TTL (about a second per tier) the new title must show.
    await eventually(async () => expect(await title(p.id)).toBe("Written by the old build"));
  });

  it("a delete whose version bump fails changes nothing, and its retry deletes the product from every read", async () => {
    const c = await category();
    const p = await product(c.id);
    expect(await title(p.id)).toBe(p.title);
    expect(((await api("GET", `/v1/products?category=${c.slug}`)).body as { items: unknown[] }).items).toHaveLength(1);
    const fn = `refuse_bump_${uid().replace(/[^a-z0-9]/g, "_")}`;
    const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
    try {
      // The bump of this product's change fails (as a dropped connection would), after the delete's own statement ran.
      await db.execute(sql.raw(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.product_id = '${p.id}' THEN RAISE EXCEPTION 'bump refused'; END IF; RETURN NEW; END $$`));
      await db.execute(sql.raw(`CREATE TRIGGER ${fn} BEFORE INSERT ON catalog_changes FOR EACH ROW EXECUTE FUNCTION ${fn}()`));
      try {
        expect((await api("DELETE", `/v1/products/${p.id}`, { token: admin })).status).toBeGreaterThanOrEqual(500);
      } finally {
        await db.execute(sql.raw(`DROP TRIGGER ${fn} ON catalog_changes`));
        await db.execute(sql.raw(`DROP FUNCTION ${fn}()`));
      }
      const [row] = await db.select({ deletedAt: products.deletedAt }).from(products).where(eq(products.id, p.id));
      expect(row?.deletedAt).toBeNull();
      // Still listed, no longer sold (its SKUs stopped taking holds first) until the delete is sent again.
      expect((await api("GET", `/v1/inventory/${p.variants[0]!.sku}`, { token: admin })).status).toBe(404);
    } finally {
      await pool.end();
    }
    expect(await api("DELETE", `/v1/products/${p.id}`, { token: admin })).toStrictEqual({ status: 204, body: null });
    expect((await api("GET", `/v1/products/${p.id}`)).status).toBe(404);
    expect(((await api("GET", `/v1/products?category=${c.slug}`)).body as { items: unknown[] }).items).toStrictEqual([]);
  });
});

describe("inventory", () => {
  it("adjusts stock and the product read shows the new availability at once", async () => {
    const c = await category();
    const p = await product(c.id, {}, [10]);
    const sku = p.variants[0]!.sku;
    await api("GET", `/v1/products/${p.id}`);
    expect(await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: 5, reason: "delivery" } })).toStrictEqual({
      status: 200,
      body: { sku, onHand: 15, reserved: 0, available: 15 },
    });
    expect((await api("GET", `/v1/products/${p.id}`)).body).toMatchObject({ variants: [{ sku, available: 15 }] });
    expect(await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: -16, reason: "too many" } })).toStrictEqual({
      status: 409,
      body: problem(409, "INSUFFICIENT_STOCK", [{ path: "delta", message: expect.any(String) }]),
    });
    expect(await api("GET", `/v1/inventory/${sku}`, { token: admin })).toStrictEqual({ status: 200, body: { sku, onHand: 15, reserved: 0, available: 15 } });
  });

  it("refuses zero or fractional deltas, unknown SKUs, no token and customers", async () => {
    const c = await category();
    const sku = (await product(c.id, {}, [3])).variants[0]!.sku;
    expect(await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: 0, reason: "x" } })).toStrictEqual({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "delta", message: expect.any(String) }]) });
    expect((await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: 1.5, reason: "x" } })).status).toBe(400);
    expect((await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: 1 } })).status).toBe(400);
    expect(await api("GET", `/v1/inventory/NOPE-${uid()}`, { token: admin })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    expect((await api("POST", `/v1/inventory/NOPE-${uid()}/adjustments`, { token: admin, body: { delta: 1, reason: "x" } })).status).toBe(404);
    expect((await api("GET", `/v1/inventory/${sku}`)).status).toBe(401);
    expect((await api("GET", `/v1/inventory/${sku}`, { token: customer })).status).toBe(403);
    expect((await api("POST", `/v1/inventory/${sku}/adjustments`, { token: customer, body: { delta: 1, reason: "x" } })).status).toBe(403);
  });

  it("an adjustment sent with an Idempotency-Key counts once, however often it is retried", async () => {
    const c = await category();
    const sku = (await product(c.id, {}, [10])).variants[0]!.sku;
    const adjust = (key: string, body: unknown) => call<unknown>("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body, headers: { "idempotency-key": key } });
    const key = `delivery-${uid()}`;
    const first = await adjust(key, { delta: 5, reason: "delivery" });
    expect([first.status, first.body, first.headers.get("idempotent-replayed")]).toStrictEqual([200, { sku, onHand: 15, reserved: 0, available: 15 }, null]);
    const retry = await adjust(key, { delta: 5, reason: "delivery" });
    expect([retry.status, retry.body, retry.headers.get("idempotent-replayed")]).toStrictEqual([200, { sku, onHand: 15, reserved: 0, available: 15 }, "true"]);
    const reused = await adjust(key, { delta: 6, reason: "delivery" });
    expect([reused.status, reused.body]).toStrictEqual([422, problem(422, "IDEMPOTENCY_KEY_REUSED")]);
    expect((await adjust("", { delta: 1, reason: "x" })).status).toBe(400);
    expect((await adjust("k".repeat(256), { delta: 1, reason: "x" })).status).toBe(400);
    // Another key, or none, is another adjustment.
    expect((await adjust(`other-${uid()}`, { delta: 5, reason: "delivery" })).body).toMatchObject({ onHand: 20 });
    expect((await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: 5, reason: "delivery" } })).body).toMatchObject({ onHand: 25 });
  });

  it("a deleted product's SKU stays unknown even when its StockDO was never initialised", async () => {
    const c = await category();
    const id = `prd_${uid()}`;
    const sku = `RAW-${uid()}`;
    const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
    try {
      // As when the create's StockDO initialise failed after Postgres committed.
      await db.insert(products).values({ id, title: "Never initialised", description: "", categoryId: c.id });
      await db.insert(variants).values({ sku, productId: id, title: "One", priceAmount: 100, priceCurrency: "EUR", weightGrams: 100, position: 0 });
      await db.insert(inventory).values({ sku, initial: 4, onHand: 4 });
    } finally {
      await pool.end();
    }
    expect(await api("DELETE", `/v1/products/${id}`, { token: admin })).toStrictEqual({ status: 204, body: null });
    expect(await api("GET", `/v1/inventory/${sku}`, { token: admin })).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    expect((await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: 1, reason: "x" } })).status).toBe(404);
  });

  it("concurrent removals never take stock below zero", async () => {
    const c = await category();
    const sku = (await product(c.id, {}, [25])).variants[0]!.sku;
    const results = await Promise.all(Array.from({ length: 40 }, () => api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: -1, reason: "shrinkage" } })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(25);
    expect(results.filter((r) => r.status === 409)).toHaveLength(15);
    expect(await api("GET", `/v1/inventory/${sku}`, { token: admin })).toStrictEqual({ status: 200, body: { sku, onHand: 0, reserved: 0, available: 0 } });
    // Postgres follows the StockDO after the responses (waitUntil), and keeps the bank invariant.
    const row = await pgInventoryWhen(sku, (r) => r.onHand === 0);
    expect(row).toMatchObject({ sku, initial: 25, adjusted: -25, onHand: 0, sold: 0 });
    expect(row.initial + row.adjusted).toBe(row.onHand + row.sold);
  });
});

type InventoryRow = typeof inventory.$inferSelect;

/** Polls the durable Postgres record of a SKU until `done` holds (it is written after the response). */
async function pgInventoryWhen(sku: string, done: (r: InventoryRow) => boolean): Promise<InventoryRow> {
  const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
  try {
    let last: InventoryRow | undefined;
    for (let i = 0; i < 50; i++) {
      [last] = await db.select().from(inventory).where(eq(inventory.sku, sku));
      if (last && done(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`inventory of ${sku} never matched: ${JSON.stringify(last)}`);
  } finally {
    await pool.end();
  }
}
