import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { openDb } from "../../shared/db/client.ts";
import { deadLetters } from "../../shared/db/schema/index.ts";
import { domainEvent } from "../../shared/events.ts";
import { createApp } from "../../workers/gateway/src/app.ts";
import { replayDeadLetter, type ReplayEnv } from "../../workers/events/src/replay.ts";
import { adminToken, api, newCustomer, problemOf, unique, pollUntil } from "./client.ts";

const queue = () => (env as unknown as { TEST_EVENTS: Queue }).TEST_EVENTS;
const database = (postgres: "up" | "down" = "up") => {
  const url = new URL(inject("databaseUrl"));
  if (postgres === "down") url.port = "9"; // nothing listens there: the proxy is up, Postgres is not
  return openDb({ DATABASE_URL: url.toString(), NEON_WS_PROXY: inject("neonWsProxy") });
};

/**
 * Stores a dead letter as the dead-letter queue's consumer would. Received a
 * day or more ago, so it never comes before the letters other tests place
 * "newest" to page through.
 */
async function storeLetter(body: unknown): Promise<string> {
  const id = unique("msg");
  const { db, pool } = database();
  try {
    await db.insert(deadLetters).values({ id, queue: "edgeshop-events-dlq", body, attempts: 1, receivedAt: new Date(Date.now() - 86_400_000 - Math.floor(Math.random() * 1e9)) });
  } finally {
    await pool.end();
  }
  return id;
}

async function replayedAtInDb(id: string): Promise<Date | null | undefined> {
  const { db, pool } = database();
  try {
    return (await db.select({ replayedAt: deadLetters.replayedAt }).from(deadLetters).where(eq(deadLetters.id, id)))[0]?.replayedAt;
  } finally {
    await pool.end();
  }
}

interface Letter {
  id: string;
  replayedAt: string | null;
}

/** The listed ids among `ids`, walking every page of `GET /v1/admin/dead-letters` with `query`. */
async function listed(admin: string, query: string, ids: string[]): Promise<Letter[]> {
  const found: Letter[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: Letter[]; nextCursor: string | null } } = await api("GET", `/v1/admin/dead-letters?limit=100${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: admin });
    expect(res.status).toBe(200);
    found.push(...res.body.items.filter((l) => ids.includes(l.id)).map((l) => ({ id: l.id, replayedAt: l.replayedAt })));
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  return found;
}

type SalesRow = { day: string; sku: string; units: number; revenue: { amount: number; currency: string } };
const salesOf = async (admin: string, day: string, sku: string) =>
  (await api<{ items: SalesRow[] }>("GET", `/v1/admin/analytics/sales?from=${day}&to=${day}`, { token: admin })).body.items.filter((i) => i.sku === sku);
const notificationsOf = async (admin: string, orderId: string) =>
  (await api<{ items: { eventId: string; eventType: string; status: string; recipient: string }[] }>("GET", `/v1/admin/notifications?orderId=${orderId}`, { token: admin })).body.items;

const replay = (id: string, token?: string) => api<Record<string, unknown>>("POST", `/v1/admin/dead-letters/${encodeURIComponent(id)}/replay`, token ? { token } : {});

describe("POST /v1/admin/dead-letters/{id}/replay", () => {
  it("applies a dead-lettered order.placed as the queue would: its email and its sales appear, once however often it is replayed", async () => {
    const admin = await adminToken();
    const customer = await newCustomer();
    const orderId = unique("ord");
    const sku = unique("SKU").toUpperCase();
    const event = domainEvent("order.placed", { orderId, userId: customer.id, items: [{ sku, quantity: 3, lineTotal: { amount: 4500, currency: "USD" } }], total: { amount: 4999, currency: "USD" } });
    const id = await storeLetter(event);
    expect(await listed(admin, "&replayed=false", [id])).toStrictEqual([{ id, replayedAt: null }]);
    expect(await listed(admin, "", [id])).toStrictEqual([{ id, replayedAt: null }]);

    const first = await replay(id, admin);
    expect(first).toMatchObject({ status: 200 });
    expect(first.body).toStrictEqual({ id, queue: "edgeshop-events-dlq", body: event, attempts: 1, receivedAt: expect.any(String), replayedAt: expect.any(String) });
    expect(Math.abs(Date.parse(first.body.replayedAt as string) - Date.now())).toBeLessThan(60_000);
    expect(await notificationsOf(admin, orderId)).toStrictEqual([expect.objectContaining({ eventId: event.id, eventType: "order.placed", status: "sent", recipient: customer.email })]);
    const day = event.occurredAt.slice(0, 10);
    const counted = [{ day, sku, units: 3, revenue: { amount: 4500, currency: "USD" } }];
    expect(await salesOf(admin, day, sku)).toStrictEqual(counted);

    // Again, twice at once: 200, nothing counted again, and the first replay's time kept.
    const again = await Promise.all([replay(id, admin), replay(id, admin)]);
    expect(again.map((r) => [r.status, r.body])).toStrictEqual([[200, first.body], [200, first.body]]);
    expect(await salesOf(admin, day, sku)).toStrictEqual(counted);
    expect((await notificationsOf(admin, orderId)).length).toBe(1);
    expect(await listed(admin, "&replayed=true", [id])).toStrictEqual([{ id, replayedAt: first.body.replayedAt }]);
    expect(await listed(admin, "&replayed=false", [id])).toStrictEqual([]);
  });

  it("changes nothing when the queue applied the event after all (consumers deduplicate by event id), and still marks the letter", async () => {
    const admin = await adminToken();
    const orderId = unique("ord");
    const sku = unique("SKU").toUpperCase();
    const event = domainEvent("order.placed", { orderId, items: [{ sku, quantity: 2, lineTotal: { amount: 1000, currency: "EUR" } }] });
    await queue().send(event);
    const day = event.occurredAt.slice(0, 10);
    const counted = [{ day, sku, units: 2, revenue: { amount: 1000, currency: "EUR" } }];
    expect(await pollUntil(() => salesOf(admin, day, sku), (rows) => rows.length > 0)).toStrictEqual(counted);
    const id = await storeLetter(event);
    expect(await replay(id, admin)).toMatchObject({ status: 200, body: { id, replayedAt: expect.any(String) } });
    expect(await salesOf(admin, day, sku)).toStrictEqual(counted);
    expect((await notificationsOf(admin, orderId)).map((n) => n.eventId)).toStrictEqual([event.id]);
  });

  it("is 404 for an unknown id, 400 for a malformed one, 409 for a body that is no domain event (not marked), 401 and 403 for non-admins", async () => {
    const admin = await adminToken();
    expect(await replay(unique("msg"), admin)).toMatchObject({ status: 404, body: problemOf(404, "NOT_FOUND") });
    expect((await replay("x".repeat(65), admin)).body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "id", message: expect.any(String) }] }));

    const poison = await storeLetter({ nonsense: unique("poison") });
    // A newer producer's event this release cannot read is no event here either.
    const newer = await storeLetter({ id: unique("evt"), type: "order.returned", occurredAt: new Date().toISOString(), data: { orderId: unique("ord") } });
    for (const id of [poison, newer]) {
      const res = await replay(id, admin);
      expect(res.body).toStrictEqual(problemOf(409, "CONFLICT"));
      expect((res.body as { detail: string }).detail).toMatch(/^The dead letter's body is not a domain event this release can apply \(.+\); nothing was replayed\.$/);
      expect(await replayedAtInDb(id)).toBeNull();
    }
    expect(await listed(admin, "&replayed=false", [poison, newer])).toHaveLength(2);

    const customer = await newCustomer();
    expect(await replay(poison)).toMatchObject({ status: 401, body: problemOf(401, "UNAUTHENTICATED") });
    expect(await replay(poison, customer.token)).toMatchObject({ status: 403, body: problemOf(403, "FORBIDDEN") });
    expect(await api("GET", "/v1/admin/dead-letters?replayed=maybe", { token: admin })).toMatchObject({
      status: 400,
      body: problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "replayed", message: expect.any(String) }] }),
    });
  });

  it("is 503 with retry-after, and not marked, while the orders Worker or Postgres is down; a later replay applies it", async () => {
    const admin = await adminToken();
    const orderId = unique("ord");
    const refunded = domainEvent("payment.refunded", { orderId, paymentId: unique("pay"), amount: { amount: 700, currency: "USD" } });
    const id = await storeLetter(refunded);
    const ordersDown = { cancelOrder: () => Promise.reject(new Error("orders Worker unavailable")) } as unknown as ReplayEnv["ORDERS"];
    // The gateway in front of an events Worker whose dependencies are down: the real replay, over a failing orders Worker or Postgres.
    for (const [postgres, orders] of [["up", ordersDown], ["down", env.ORDERS]] as const) {
      const { db, pool } = database(postgres);
      try {
        const events = { replayDeadLetter: (letterId: string) => replayDeadLetter(db, { ORDERS: orders }, letterId) };
        const res = await createApp().request(`/v1/admin/dead-letters/${id}/replay`, { method: "POST", headers: { authorization: `Bearer ${admin}` } }, { ...env, EVENTS: events });
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("30");
        expect(await res.json()).toStrictEqual(problemOf(503, "SERVICE_UNAVAILABLE"));
      } finally {
        await pool.end().catch(() => undefined);
      }
      expect(await replayedAtInDb(id)).toBeNull();
    }
    expect(await notificationsOf(admin, orderId)).toStrictEqual([]);
    // Once they are back (the real events and orders Workers): applied and marked.
    expect(await replay(id, admin)).toMatchObject({ status: 200, body: { id, replayedAt: expect.any(String) } });
    expect(await notificationsOf(admin, orderId)).toStrictEqual([expect.objectContaining({ eventId: refunded.id, eventType: "payment.refunded", status: "sent" })]);
  });

  it("is 503 with retry-after while the events Worker is of the release before (no replay, no replayedAt)", async () => {
    const admin = await adminToken();
    const letter = { id: unique("msg"), queue: "edgeshop-events-dlq", body: {}, attempts: 1, receivedAt: new Date().toISOString() };
    const older = {
      replayDeadLetter: () => Promise.reject(new TypeError('The RPC receiver does not implement the method "replayDeadLetter".')),
      listDeadLetterPage: async () => ({ ok: true, value: { items: [letter], nextCursor: null } }),
    };
    const app = createApp();
    const call = (path: string, method = "GET") => app.request(path, { method, headers: { authorization: `Bearer ${admin}` } }, { ...env, EVENTS: older });
    const res = await call(`/v1/admin/dead-letters/${letter.id}/replay`, "POST");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("10");
    expect(await res.json()).toStrictEqual(problemOf(503, "SERVICE_UNAVAILABLE"));
    // Its list still answers, each letter not replayed (it cannot replay); a filter it would ignore waits for the rollout.
    const list = await call("/v1/admin/dead-letters");
    expect([list.status, await list.json()]).toStrictEqual([200, { items: [{ ...letter, replayedAt: null }], nextCursor: null }]);
    const filtered = await call("/v1/admin/dead-letters?replayed=false");
    expect([filtered.status, filtered.headers.get("retry-after"), await filtered.json()]).toStrictEqual([503, "10", problemOf(503, "SERVICE_UNAVAILABLE")]);
  });
});
