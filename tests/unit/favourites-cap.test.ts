/**
 * The favourites cap, on real Postgres (the test database) with a small cap:
 * the catalog is a function naming which products exist, as the favourites
 * Worker's catalog RPC does.
 */
import { inject } from "vitest";
import { afterAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { openDb } from "../../shared/db/client.ts";
import { addFavourite, listFavourites, type ProductSummaries } from "../../workers/favourites/src/favourites.ts";

const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
afterAll(() => pool.end());

/** A catalog that knows exactly `live`. */
function catalog(live: Set<string>): ProductSummaries {
  return async (ids) => Object.fromEntries(ids.filter((id) => live.has(id)).map((id) => [id, { id, title: id }]));
}

const user = () => `usr_${crypto.randomUUID().replaceAll("-", "").slice(0, 28)}`;

describe("favourites cap", () => {
  it("keeps at most the cap (409 beyond), while a repeat stays 204 and deleted products make room", async () => {
    const u = user();
    const live = new Set(["p1", "p2", "p3", "p4"]);
    for (const p of ["p1", "p2", "p3"]) expect(await addFavourite(db, catalog(live), u, p, 3)).toStrictEqual({ ok: true, value: null });
    expect(await addFavourite(db, catalog(live), u, "p4", 3)).toMatchObject({ ok: false, error: { code: "CONFLICT" } });
    expect(await addFavourite(db, catalog(live), u, "p2", 3)).toStrictEqual({ ok: true, value: null });
    live.delete("p1");
    expect(await addFavourite(db, catalog(live), u, "p4", 3)).toStrictEqual({ ok: true, value: null });
    expect((await listFavourites(db, catalog(live), u)).map((f) => f.productId).sort()).toStrictEqual(["p2", "p3", "p4"]);
  });

  it("asks the catalog outside its transaction, so the user's lock (and a connection) is never held across that call", async () => {
    const u = user();
    const live = new Set(["q1", "q2", "q3"]);
    const heldDuringCall: boolean[] = [];
    // The catalog Worker reads Postgres too: here it tries the user's lock from another session.
    const probing: ProductSummaries = async (ids) => {
      const [row] = (await db.execute<{ free: boolean }>(sql`select pg_try_advisory_xact_lock(hashtextextended(${`favourites:${u}`}, 0)) as free`)).rows;
      heldDuringCall.push(row?.free !== true);
      return catalog(live)(ids);
    };
    for (const p of ["q1", "q2"]) expect(await addFavourite(db, probing, u, p, 2)).toStrictEqual({ ok: true, value: null });
    live.delete("q1");
    expect(await addFavourite(db, probing, u, "q3", 2)).toStrictEqual({ ok: true, value: null });
    expect(heldDuringCall.length).toBeGreaterThan(3);
    expect(heldDuringCall.every((held) => !held)).toBe(true);
  });

  it("lets only one of several adds at once take the last place", async () => {
    const u = user();
    const live = new Set(["a", "b", "c", "d", "e", "f"]);
    await addFavourite(db, catalog(live), u, "a", 3);
    await addFavourite(db, catalog(live), u, "b", 3);
    const results = await Promise.all(["c", "d", "e", "f"].map((p) => addFavourite(db, catalog(live), u, p, 3)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await listFavourites(db, catalog(live), u))).toHaveLength(3);
  });
});
