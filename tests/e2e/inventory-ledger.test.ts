import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../workers/gateway/src/app.ts";
import { addToCart, adminToken, api, checkout, customer, problem, product, uid } from "./orders-support.ts";

let admin = "";

beforeAll(async () => {
  admin = await adminToken();
});

interface Entry {
  seq: number;
  kind: string;
  delta: number;
  reason: string;
  reference: string | null;
  at: string;
}

interface LedgerPage {
  items: Entry[];
  nextCursor: string | null;
}

async function ledger(sku: string, query = ""): Promise<{ status: number; body: LedgerPage }> {
  const res = await api<LedgerPage>("GET", `/v1/inventory/${encodeURIComponent(sku)}/ledger${query}`, { token: admin });
  return { status: res.status, body: res.body };
}

describe("GET /v1/inventory/{sku}/ledger", () => {
  it("lists every change of a SKU newest first: adjustments with their reason, and a checkout's hold and sale under one reference", async () => {
    const [v] = await product(admin, [10]);
    const sku = v!.sku;
    expect((await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: 5, reason: "supplier delivery #42" } })).status).toBe(200);
    const shopper = await customer();
    expect((await addToCart(shopper.token, sku, 3)).status).toBe(200);
    const order = await checkout(shopper.token);
    expect(order.status).toBe(201);

    const page = await ledger(sku);
    expect(page.status).toBe(200);
    expect(page.body).toStrictEqual({
      items: [
        { seq: expect.any(Number), kind: "commit", delta: -3, reason: "sold", reference: expect.any(String), at: expect.any(String) },
        { seq: expect.any(Number), kind: "reserve", delta: -3, reason: "reserved", reference: expect.any(String), at: expect.any(String) },
        { seq: expect.any(Number), kind: "adjust", delta: 5, reason: "supplier delivery #42", reference: expect.any(String), at: expect.any(String) },
        { seq: expect.any(Number), kind: "init", delta: 10, reason: "initial stock", reference: null, at: expect.any(String) },
      ],
      nextCursor: null,
    });
    const [commit, reserve] = page.body.items;
    expect(commit!.reference).toBe(reserve!.reference);
    for (const e of page.body.items) expect(new Date(e.at).toISOString()).toBe(e.at);
    // The ledger adds up to what the inventory says: initial + adjustments - sales = on hand.
    const onHand = page.body.items.filter((e) => ["init", "adjust", "commit", "restock"].includes(e.kind)).reduce((n, e) => n + e.delta, 0);
    expect((await api("GET", `/v1/inventory/${sku}`, { token: admin })).body).toStrictEqual({ sku, onHand, reserved: 0, available: 12 });
  });

  it("walks page by page without a gap or a repeat, also while entries are added", async () => {
    const [v] = await product(admin, [100]);
    const sku = v!.sku;
    for (let i = 1; i <= 6; i++) expect((await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: -1, reason: `count ${i}` } })).status).toBe(200);
    const whole = (await ledger(sku)).body.items;
    expect(whole.map((e) => e.reason)).toStrictEqual(["count 6", "count 5", "count 4", "count 3", "count 2", "count 1", "initial stock"]);

    const walked: Entry[] = [];
    let cursor: string | null = null;
    do {
      const page = await ledger(sku, `?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      walked.push(...page.body.items);
      cursor = page.body.nextCursor;
      // Newer entries land before the walk's start, never inside it.
      if (walked.length === 3) expect((await api("POST", `/v1/inventory/${sku}/adjustments`, { token: admin, body: { delta: 1, reason: "late" } })).status).toBe(200);
    } while (cursor);
    expect(walked).toStrictEqual(whole);
    expect((await ledger(sku, "?limit=1")).body.items.map((e) => e.reason)).toStrictEqual(["late"]);
  });

  it("refuses a bad limit or cursor, unknown SKUs, no token and customers", async () => {
    const [v] = await product(admin, [1]);
    const sku = v!.sku;
    const path = `/v1/inventory/${sku}/ledger`;
    expect(await api("GET", `${path}?limit=0`, { token: admin })).toMatchObject({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "limit", message: expect.any(String) }]) });
    expect((await api("GET", `${path}?limit=101`, { token: admin })).status).toBe(400);
    expect(await api("GET", `${path}?cursor=not-a-cursor`, { token: admin })).toMatchObject({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "cursor", message: "Invalid cursor" }]) });
    // Another SKU's ledger cursor is no place in this one.
    const [w] = await product(admin, [5]);
    for (let i = 0; i < 2; i++) await api("POST", `/v1/inventory/${w!.sku}/adjustments`, { token: admin, body: { delta: 1, reason: "more" } });
    const { nextCursor } = (await ledger(w!.sku, "?limit=1")).body;
    expect(nextCursor).toEqual(expect.any(String));
    expect(await api("GET", `${path}?cursor=${nextCursor}`, { token: admin })).toMatchObject({ status: 400, body: problem(400, "VALIDATION_FAILED", [{ path: "cursor", message: "Invalid cursor" }]) });
    expect(await api("GET", `/v1/inventory/NOPE-${uid()}/ledger`, { token: admin })).toMatchObject({ status: 404, body: problem(404, "NOT_FOUND") });
    expect((await api("GET", path)).status).toBe(401);
    expect(await api("GET", path, { token: (await customer()).token })).toMatchObject({ status: 403, body: problem(403, "FORBIDDEN") });
  });

  it("is 503 with retry-after while the catalog that answers is of the release before (no such method yet)", async () => {
    const older = { getInventoryLedger: () => Promise.reject(new TypeError('The RPC receiver does not implement the method "getInventoryLedger".')) };
    const res = await createApp().request(`/v1/inventory/ANY-${uid()}/ledger`, { headers: { authorization: `Bearer ${admin}` } }, { ...env, CATALOG: older });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("10");
    expect(await res.json()).toMatchObject(problem(503, "SERVICE_UNAVAILABLE"));
  });
});
