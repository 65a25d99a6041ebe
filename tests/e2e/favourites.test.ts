import { beforeAll, describe, expect, it } from "vitest";
import { adminToken, api as call, newCustomer, problemOf } from "./client.ts";
import { product } from "./orders-support.ts";

/**
 * Concurrent Postgres traffic runs on real PostgreSQL only: PGlite is one
 * session behind pglite-socket, which interleaves the protocol messages of
 * concurrent connections (unnamed statements and portals get crossed), so
 * concurrency there tests the harness, not this code.
 */
// Real concurrency against the database (on PGlite the local proxy serialises sessions).
const concurrently = it;

let admin = "";

beforeAll(async () => {
  admin = await adminToken();
});

/** Status and body only, so each assertion states both exactly. */
async function api(method: string, path: string, token?: string) {
  const res = await call<unknown>(method, path, { token });
  return { status: res.status, body: res.body };
}
const problem = (status: number, code: string, errors?: { path: string; message: unknown }[]) => problemOf(status, code, errors ? { errors } : {});
const noContent = { status: 204, body: null };

async function productId(): Promise<string> {
  const [variant] = await product(admin, [1]);
  if (!variant) throw new Error("no variant");
  return variant.productId;
}

async function list(token: string): Promise<{ productId: string; addedAt: string }[]> {
  const res = await api("GET", "/v1/favourites", token);
  expect(res.status).toBe(200);
  return (res.body as { items: { productId: string; addedAt: string }[] }).items;
}

describe("favourites", () => {
  it("starts empty, adds (204), lists newest first and keeps the first addedAt on a repeat", async () => {
    const { token } = await newCustomer();
    expect(await api("GET", "/v1/favourites", token)).toStrictEqual({ status: 200, body: { items: [] } });
    const [a, b] = [await productId(), await productId()];
    expect(await api("PUT", `/v1/favourites/${a}`, token)).toStrictEqual(noContent);
    const first = await list(token);
    expect(first).toStrictEqual([{ productId: a, addedAt: expect.any(String) }]);
    expect(Number.isNaN(Date.parse(first[0]?.addedAt ?? ""))).toBe(false);
    expect(await api("PUT", `/v1/favourites/${b}`, token)).toStrictEqual(noContent);
    expect(await api("PUT", `/v1/favourites/${a}`, token)).toStrictEqual(noContent);
    const both = await list(token);
    expect(both).toStrictEqual([
      { productId: b, addedAt: expect.any(String) },
      { productId: a, addedAt: first[0]?.addedAt },
    ]);
  });

  it("removes (204), and removing again or something never added is still 204", async () => {
    const { token } = await newCustomer();
    const a = await productId();
    await api("PUT", `/v1/favourites/${a}`, token);
    expect(await api("DELETE", `/v1/favourites/${a}`, token)).toStrictEqual(noContent);
    expect(await api("DELETE", `/v1/favourites/${a}`, token)).toStrictEqual(noContent);
    expect(await api("DELETE", "/v1/favourites/prd_never", token)).toStrictEqual(noContent);
    expect(await list(token)).toStrictEqual([]);
  });

  it("refuses an unknown product (404) and an over-long id (400)", async () => {
    const { token } = await newCustomer();
    expect(await api("PUT", "/v1/favourites/prd_missing", token)).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    for (const name of ["constructor", "__proto__", "toString", "valueOf"]) {
      expect(await api("PUT", `/v1/favourites/${name}`, token), name).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
    }
    expect(await api("PUT", `/v1/favourites/${"p".repeat(65)}`, token)).toStrictEqual({
      status: 400,
      body: problem(400, "VALIDATION_FAILED", [{ path: "productId", message: expect.any(String) }]),
    });
    expect(await list(token)).toStrictEqual([]);
  });

  it("drops deleted products from the list and refuses to add them (404)", async () => {
    const { token } = await newCustomer();
    const [kept, gone] = [await productId(), await productId()];
    await api("PUT", `/v1/favourites/${kept}`, token);
    await api("PUT", `/v1/favourites/${gone}`, token);
    expect((await api("DELETE", `/v1/products/${gone}`, admin)).status).toBe(204);
    expect(await list(token)).toStrictEqual([{ productId: kept, addedAt: expect.any(String) }]);
    expect(await api("PUT", `/v1/favourites/${gone}`, token)).toStrictEqual({ status: 404, body: problem(404, "NOT_FOUND") });
  });

  it("keeps each user's favourites their own", async () => {
    const [ada, bob] = [await newCustomer(), await newCustomer()];
    const a = await productId();
    await api("PUT", `/v1/favourites/${a}`, ada.token);
    expect(await list(bob.token)).toStrictEqual([]);
    expect(await api("DELETE", `/v1/favourites/${a}`, bob.token)).toStrictEqual(noContent);
    expect(await list(ada.token)).toStrictEqual([{ productId: a, addedAt: expect.any(String) }]);
  });

  concurrently("stays consistent under concurrent adds and removes", async () => {
    const { token } = await newCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await productId());
    const puts = await Promise.all([...ids, ...ids, ...ids].map((id) => api("PUT", `/v1/favourites/${id}`, token)));
    for (const r of puts) expect(r).toStrictEqual(noContent);
    const items = await list(token);
    expect(items.map((i) => i.productId).sort()).toStrictEqual([...ids].sort());
    const removed = ids.slice(0, 2);
    await Promise.all([...removed, ...removed].map((id) => api("DELETE", `/v1/favourites/${id}`, token)));
    expect((await list(token)).map((i) => i.productId).sort()).toStrictEqual(ids.slice(2).sort());
  });

  it("requires a token on every route (401)", async () => {
    const unauthenticated = { status: 401, body: problem(401, "UNAUTHENTICATED") };
    expect(await api("GET", "/v1/favourites")).toStrictEqual(unauthenticated);
    expect(await api("PUT", "/v1/favourites/prd_x")).toStrictEqual(unauthenticated);
    expect(await api("DELETE", "/v1/favourites/prd_x")).toStrictEqual(unauthenticated);
    expect(await api("PUT", "/v1/favourites/prd_x", "not.a.token")).toStrictEqual(unauthenticated);
  });
});

describe("favourites routing", () => {
  it("documents the three routes and answers a wrong method with 405", async () => {
    const spec = (await api("GET", "/v1/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(spec.paths["/v1/favourites"] ?? {})).toStrictEqual(["get"]);
    expect(Object.keys(spec.paths["/v1/favourites/{productId}"] ?? {}).sort()).toStrictEqual(["delete", "put"]);
    const res = await call("POST", "/v1/favourites/prd_x");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")?.split(", ").filter((m) => m !== "OPTIONS").sort()).toStrictEqual(["DELETE", "PUT"]);
  });
});
