import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { openDb } from "../../shared/db/client.ts";
import { deadLetters, notifications, salesDaily } from "../../shared/db/schema/index.ts";
import { domainEvent } from "../../shared/events.ts";
import { newId } from "../../shared/ids.ts";
import { handleBatch } from "../../workers/events/src/queue.ts";
import { adminToken, api, newCustomer, problemOf, unique, pollUntil } from "./client.ts";
import { waitForEvent } from "./sentry-support.ts";

const queue = () => (env as unknown as { TEST_EVENTS: Queue }).TEST_EVENTS;

interface Notification {
  eventId: string;
  eventType: string;
  status: string;
  recipient: string;
}

describe("domain events: notifications and sales analytics", () => {
  it("applies a redelivered event once: one email, units and revenue counted once", async () => {
    const admin = await adminToken();
    const customer = await newCustomer();
    const orderId = unique("ord");
    const sku = unique("SKU").toUpperCase();
    const event = domainEvent("order.placed", {
      orderId,
      userId: customer.id,
      items: [{ sku, quantity: 3, lineTotal: { amount: 4500, currency: "USD" } }],
      total: { amount: 4999, currency: "USD" },
    });
    await queue().send(event);
    await queue().send(event); // at-least-once: the same event again
    await queue().sendBatch([{ body: event }]);

    const list = await pollUntil(
      async () => (await api<{ items: Notification[] }>("GET", `/v1/admin/notifications?orderId=${orderId}`, { token: admin })).body.items,
      (items) => items.length > 0 && items.every((n) => n.status !== "pending"),
    );
    expect(list).toStrictEqual([expect.objectContaining({ eventId: event.id, eventType: "order.placed", status: "sent", recipient: customer.email })]);

    const today = event.occurredAt.slice(0, 10);
    await new Promise((r) => setTimeout(r, 1_000)); // give the duplicates time to (not) count
    const report = await api<{ items: { sku: string; units: number; revenue: { amount: number } }[] }>("GET", `/v1/admin/analytics/sales?from=${today}&to=${today}`, { token: admin });
    expect(report.status).toBe(200);
    expect(report.body.items.filter((i) => i.sku === sku)).toStrictEqual([{ day: today, sku, units: 3, revenue: { amount: 4500, currency: "USD" } }]);
  });

  it("counts an order whose total passes 10^10 minor units: its events are valid, not dead-lettered", async () => {
    const admin = await adminToken();
    const customer = await newCustomer();
    const category = (await api<{ id: string }>("POST", "/v1/categories", { token: admin, body: { name: "Big", slug: unique("big") } })).body;
    const sku = unique("BIG").toUpperCase();
    const price = { amount: 10_000_000_000, currency: "USD" };
    const created = await api("POST", "/v1/products", { token: admin, body: { title: "Yacht", description: "", categoryId: category.id, variants: [{ sku, title: "One", price, initialStock: 10 }] } });
    expect(created.status).toBe(201);
    expect((await api("POST", "/v1/cart/items", { token: customer.token, body: { sku, quantity: 5 } })).status).toBe(200);
    const address = { name: "A B", line1: "1 Main St", city: "NYC", postalCode: "10001", country: "US" };
    const order = await api<{ id: string; total: { amount: number } }>("POST", "/v1/checkout", {
      token: customer.token, headers: { "idempotency-key": unique("key") }, body: { shippingAddress: address, shippingOptionId: "ship_us_standard", paymentToken: "tok_visa" },
    });
    expect(order.status).toBe(201);
    expect(order.body.total.amount).toBeGreaterThan(50_000_000_000);
    const list = await pollUntil(
      async () => (await api<{ items: Notification[] }>("GET", `/v1/admin/notifications?orderId=${order.body.id}`, { token: admin })).body.items,
      (items) => ["order.placed", "payment.captured"].every((t) => items.some((n) => n.eventType === t && n.status === "sent")),
    );
    expect(list.map((n) => n.eventType)).toEqual(expect.arrayContaining(["order.placed", "payment.captured"]));
    const today = new Date().toISOString().slice(0, 10);
    const report = await api<{ items: { sku: string; units: number; revenue: { amount: number } }[] }>("GET", `/v1/admin/analytics/sales?from=${today}&to=${today}`, { token: admin });
    expect(report.body.items.filter((i) => i.sku === sku)).toStrictEqual([{ day: today, sku, units: 5, revenue: { amount: 50_000_000_000, currency: "USD" } }]);
  });

  it("totals a range over all its rows and says when it lists only the first 10,000", async () => {
    const admin = await adminToken();
    // A day no other test writes: 10,001 SKUs sold once at 100 USD, and one in EUR.
    const day = `2${String(100 + Math.floor(Math.random() * 899)).padStart(3, "0")}-03-04`;
    const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
    try {
      const rows = Array.from({ length: 10_001 }, (_, i) => ({ day, sku: `T-${String(i).padStart(5, "0")}`, currency: "USD", units: 1, revenue: 100 }));
      for (let i = 0; i < rows.length; i += 2_000) await db.insert(salesDaily).values(rows.slice(i, i + 2_000));
      await db.insert(salesDaily).values({ day, sku: "T-EUR", currency: "EUR", units: 2, revenue: 300 });
    } finally {
      await pool.end();
    }
    const res = await api<{ items: unknown[]; totals: unknown; truncated: boolean }>("GET", `/v1/admin/analytics/sales?from=${day}&to=${day}`, { token: admin });
    expect(res.status).toBe(200);
    expect([res.body.items.length, res.body.truncated]).toStrictEqual([10_000, true]);
    expect(res.body.totals).toStrictEqual({ units: 10_003, revenue: [{ amount: 300, currency: "EUR" }, { amount: 1_000_100, currency: "USD" }] });
  });

  it("subtracts a cancelled order from the sales figures", async () => {
    const admin = await adminToken();
    const orderId = unique("ord");
    const sku = unique("SKU").toUpperCase();
    const items = [{ sku, quantity: 2, lineTotal: { amount: 2000, currency: "USD" } }];
    await queue().send(domainEvent("order.placed", { orderId, items }));
    await queue().send(domainEvent("order.cancelled", { orderId, items }));
    const today = new Date().toISOString().slice(0, 10);
    const rows = await pollUntil(
      async () => (await api<{ items: { sku: string; units: number }[] }>("GET", `/v1/admin/analytics/sales?from=${today}&to=${today}`, { token: admin })).body.items.filter((i) => i.sku === sku),
      (r) => r.length === 1 && r[0]!.units === 0,
    );
    expect(rows).toStrictEqual([{ day: today, sku, units: 0, revenue: { amount: 0, currency: "USD" } }]);
  });

  it("applies a batch with duplicates, several SKUs and a cancellation as the events one by one would", async () => {
    const admin = await adminToken();
    const customer = await newCustomer();
    const [a, b] = [unique("ord"), unique("ord")];
    const [x, y] = [unique("SKU").toUpperCase(), unique("SKU").toUpperCase()];
    const placedA = domainEvent("order.placed", { orderId: a, userId: customer.id, items: [{ sku: x, quantity: 2, lineTotal: { amount: 2000, currency: "USD" } }] });
    const bItems = [
      { sku: x, quantity: 1, lineTotal: { amount: 1000, currency: "USD" } },
      { sku: y, quantity: 4, lineTotal: { amount: 800, currency: "USD" } },
    ];
    const placedB = domainEvent("order.placed", { orderId: b, userId: customer.id, items: bItems });
    const cancelledB = domainEvent("order.cancelled", { orderId: b, userId: customer.id, items: bItems });
    // One sendBatch: delivered to the consumer together (a duplicate inside the batch included).
    await queue().sendBatch([placedA, placedA, placedB, cancelledB].map((body) => ({ body })));

    const notes = await pollUntil(
      async () => (await api<{ items: Notification[] }>("GET", `/v1/admin/notifications?orderId=${b}`, { token: admin })).body.items,
      (items) => items.length === 2 && items.every((n) => n.status === "sent"),
    );
    expect(notes.map((n) => n.eventId).sort()).toStrictEqual([placedB.id, cancelledB.id].sort());
    const forA = (await api<{ items: Notification[] }>("GET", `/v1/admin/notifications?orderId=${a}`, { token: admin })).body.items;
    expect(forA).toStrictEqual([expect.objectContaining({ eventId: placedA.id, status: "sent", recipient: customer.email })]);
    const today = placedA.occurredAt.slice(0, 10);
    const report = await api<{ items: { sku: string; units: number; revenue: { amount: number } }[] }>("GET", `/v1/admin/analytics/sales?from=${today}&to=${today}`, { token: admin });
    const bySku = Object.fromEntries(report.body.items.filter((i) => i.sku === x || i.sku === y).map((i) => [i.sku, [i.units, i.revenue.amount]]));
    expect(bySku).toStrictEqual({ [x]: [2, 2000], [y]: [0, 0] });
  });

  it("moves a poison message to the dead-letter queue after retries, visible to admins", async () => {
    const admin = await adminToken();
    const marker = unique("poison");
    await queue().send({ nonsense: marker });
    const letters = await pollUntil(
      async () => (await api<{ items: { body: unknown; queue: string }[] }>("GET", "/v1/admin/dead-letters", { token: admin })).body.items,
      (items) => items.some((l) => JSON.stringify(l.body).includes(marker)),
      30_000,
    );
    const letter = letters.find((l) => JSON.stringify(l.body).includes(marker)) as { id: string } | undefined;
    expect(letter).toMatchObject({ queue: "edgeshop-events-dlq", body: { nonsense: marker } });
    // and on call hears of it: a Sentry event naming the letter, without its body
    const reported = await waitForEvent((e) => e.tags?.deadLetterId === letter?.id);
    expect(reported.message ?? JSON.stringify(reported)).toContain("Dead letter stored: a body that is no event");
    expect(JSON.stringify(reported)).not.toContain(marker);
  });

  it("pages notifications and dead letters as every list does: ?limit=, ?cursor=, nextCursor, newest first", async () => {
    const admin = await adminToken();
    const orderId = unique("ord");
    const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
    const t = Date.now();
    // Three dead letters received in the same millisecond: their ids (a queue's, in no order) break the tie.
    const letterIds = [unique("msg-b"), unique("msg-c"), unique("msg-a")];
    try {
      await db.insert(notifications).values([0, 1, 2].map((i) => ({ id: newId("ntf", t + i), eventId: unique("evt"), eventType: "order.placed", orderId, recipient: "a@example.com", subject: `n${i}`, body: "" })));
      await db.insert(deadLetters).values(letterIds.map((id) => ({ id, queue: "edgeshop-events-dlq", body: { id }, attempts: 3, receivedAt: new Date(t + 3_600_000) })));
    } finally {
      await pool.end();
    }
    type Page = { items: { id: string; subject?: string }[]; nextCursor: string | null };
    const walk = async (path: string) => {
      const seen: Page["items"][] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: Page } = await api<Page>("GET", `${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: admin });
        expect(res.status).toBe(200);
        seen.push(res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor !== null);
      return seen;
    };
    const pages = await walk(`/v1/admin/notifications?orderId=${orderId}&limit=2`);
    expect(pages.map((p) => p.map((n) => n.subject))).toStrictEqual([["n2", "n1"], ["n0"]]);
    // Dead letters, a page of two from the newest (ours, an hour ahead), then the third.
    const first = await api<Page>("GET", "/v1/admin/dead-letters?limit=2", { token: admin });
    const second = await api<Page>("GET", `/v1/admin/dead-letters?limit=1&cursor=${first.body.nextCursor}`, { token: admin });
    expect([...first.body.items, ...second.body.items].map((l) => l.id)).toStrictEqual([...letterIds].sort().reverse());
    for (const path of ["/v1/admin/notifications", "/v1/admin/dead-letters"]) {
      for (const query of ["limit=0", "limit=101", "limit=abc", "cursor=abc"]) {
        const res = await api("GET", `${path}?${query}`, { token: admin });
        expect(res.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: query.split("=")[0]!, message: expect.any(String) }] }));
      }
    }
  });

  it("keeps the admin views to admins and validates dates", async () => {
    const customer = await newCustomer();
    expect((await api("GET", "/v1/admin/notifications")).status).toBe(401);
    expect((await api("GET", "/v1/admin/notifications", { token: customer.token })).body).toStrictEqual(problemOf(403, "FORBIDDEN"));
    expect((await api("GET", "/v1/admin/dead-letters", { token: customer.token })).status).toBe(403);
    const admin = await adminToken();
    const bad = await api("GET", "/v1/admin/analytics/sales?from=yesterday&to=2026-01-01", { token: admin });
    expect(bad.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: [{ path: "from", message: expect.any(String) }] }));
    const reversed = await api("GET", "/v1/admin/analytics/sales?from=2026-02-01&to=2026-01-01", { token: admin });
    expect(reversed.status).toBe(400);
    // Dates that do not exist are the client's error, named, and never reach Postgres (which used to answer 500,
    // and enough of those opened the events service's circuit breaker for the other admin views).
    for (const [from, to, path] of [["2026-02-30", "2026-03-01", "from"], ["2026-04-31", "2026-05-01", "from"], ["2026-00-01", "2026-01-01", "from"], ["2026-13-45", "2026-13-46", "from"], ["2026-01-01", "2025-02-29", "to"], ["0000-01-01", "2026-01-01", "from"]] as const) {
      const res = await api("GET", `/v1/admin/analytics/sales?from=${from}&to=${to}`, { token: admin });
      expect(res.body).toStrictEqual(problemOf(400, "VALIDATION_FAILED", { errors: expect.arrayContaining([{ path, message: "a calendar date, YYYY-MM-DD" }]) }));
    }
    expect((await api("GET", "/v1/admin/analytics/sales?from=2024-02-29&to=2024-02-29", { token: admin })).status).toBe(200);
    expect((await api("GET", "/v1/admin/dead-letters", { token: admin })).status).toBe(200);
  });
});

/** What the consumer did with one message: acknowledged it, or asked for it again after `delaySeconds`. */
type Outcome = { ack: true } | { retry: number | undefined };

/** A batch as the queue hands it to the consumer, recording what becomes of each message. */
function fakeBatch(queueName: string, messages: { body: unknown; attempts: number }[]) {
  const outcomes = new Map<string, Outcome[]>();
  const record = (id: string, o: Outcome) => outcomes.set(id, [...(outcomes.get(id) ?? []), o]);
  const list: Message<unknown>[] = messages.map((m, i) => {
    const id = `${unique("msg")}-${i}`;
    return { id, timestamp: new Date(), body: m.body, attempts: m.attempts, ack: () => record(id, { ack: true }), retry: (o?: QueueRetryOptions) => record(id, { retry: o?.delaySeconds }) };
  });
  const batch: MessageBatch<unknown> = {
    queue: queueName,
    messages: list,
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    ackAll: () => list.forEach((m) => m.ack()),
    retryAll: (o?: QueueRetryOptions) => list.forEach((m) => m.retry(o)),
  };
  return { batch, ids: list.map((m) => m.id), outcomes: () => list.map((m) => outcomes.get(m.id) ?? []) };
}

/** The events Worker's env, with Postgres as it is, or down (nothing listens on port 9: the proxy is up, Postgres is not). */
function consumerEnv(postgres: "up" | "down", orders: Record<string, () => Promise<unknown>> = {}): EventsEnv {
  const url = new URL(inject("databaseUrl"));
  if (postgres === "down") url.port = "9";
  return { DATABASE_URL: url.toString(), NEON_WS_PROXY: inject("neonWsProxy"), ORDERS: orders, CF_VERSION_METADATA: { id: "test", tag: "", timestamp: "" } } as unknown as EventsEnv;
}

describe("events consumer: retries during an outage", () => {
  it("retries events Postgres or the orders Worker could not take with a growing delay, never at once", async () => {
    const ordersDown = { cancelOrder: async () => Promise.reject(new Error("orders Worker unavailable")) };
    const placed = (attempts: number) => ({ attempts, body: domainEvent("order.placed", { orderId: unique("ord"), items: [{ sku: "SKU-R", quantity: 1, lineTotal: { amount: 100, currency: "USD" } }] }) });
    const refunded = { attempts: 1, body: domainEvent("payment.refunded", { orderId: unique("ord"), paymentId: unique("pay") }) };
    const { batch, outcomes } = fakeBatch("edgeshop-events", [placed(1), placed(3), placed(10), refunded]);
    await handleBatch(batch, consumerEnv("down", ordersDown));
    // 2 s after the first delivery, doubling, capped at 5 minutes: ~18 minutes over the queue's 10 retries.
    expect(outcomes()).toStrictEqual([[{ retry: 2 }], [{ retry: 8 }], [{ retry: 300 }], [{ retry: 2 }]]);
  });

  it("waits for a body that names an event it cannot parse (a newer producer's), and not for one that is no event", async () => {
    const newer = { id: unique("evt"), type: "order.returned", occurredAt: new Date().toISOString(), data: { orderId: unique("ord") } };
    const { batch, outcomes } = fakeBatch("edgeshop-events", [{ body: newer, attempts: 2 }, { body: { nonsense: true }, attempts: 2 }]);
    await handleBatch(batch, consumerEnv("up"));
    expect(outcomes()).toStrictEqual([[{ retry: 4 }], [{ retry: 0 }]]);
  });

  it("stores dead letters of every environment's dead-letter queue, and retries them with a delay while Postgres is down", async () => {
    const letter = { body: { nonsense: unique("letter") }, attempts: 11 };
    const down = fakeBatch("edgeshop-events-dlq-production", [{ ...letter, attempts: 1 }]);
    await handleBatch(down.batch, consumerEnv("down"));
    expect(down.outcomes()).toStrictEqual([[{ retry: 2 }]]);

    const up = fakeBatch("edgeshop-events-dlq-production", [letter]);
    await handleBatch(up.batch, consumerEnv("up"));
    expect(up.outcomes()).toStrictEqual([[{ ack: true }]]);
    const { db, pool } = openDb({ DATABASE_URL: inject("databaseUrl"), NEON_WS_PROXY: inject("neonWsProxy") });
    try {
      const rows = await db.select({ queue: deadLetters.queue, body: deadLetters.body, attempts: deadLetters.attempts }).from(deadLetters).where(eq(deadLetters.id, up.ids[0]!));
      expect(rows).toStrictEqual([{ queue: "edgeshop-events-dlq-production", body: letter.body, attempts: 11 }]);
    } finally {
      await pool.end();
    }
  });
});
