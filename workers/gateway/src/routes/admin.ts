import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { ok, orPreviousRelease, type DomainError, type Result } from "../../../../shared/errors.ts";
import type { Page } from "../../../../shared/pagination.ts";
import { IdParamSchema, ListQuerySchema, MoneyNetSchema, pageSchema } from "../../../../shared/schemas/common.ts";
import type { AppEnv } from "../context.ts";
import { requireAuth } from "../middleware/auth.ts";
import { bearer, jsonResponse, problems } from "../openapi.ts";
import { ROLLOUT_RETRY_SECONDS, problem, problemOf, send } from "../respond.ts";

const NotificationSchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    orderId: z.string().nullable(),
    recipient: z.string(),
    subject: z.string(),
    status: z.enum(["pending", "sent", "failed"]),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .openapi("Notification");

const SalesReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    items: z.array(z.object({ day: z.string(), sku: z.string(), units: z.number().int(), revenue: MoneyNetSchema })),
    totals: z.object({ units: z.number().int(), revenue: z.array(MoneyNetSchema) }).openapi({ description: "Over the whole range, listed rows or not" }),
    truncated: z.boolean().openapi({ description: "True when the range holds more than 10,000 day-SKU rows: `items` lists the first (by day, then SKU)" }),
  })
  .openapi("SalesReport");

const DeadLetterSchema = z
  .object({
    id: z.string(),
    queue: z.string(),
    body: z.unknown(),
    attempts: z.number().int().openapi({
      description: "Deliveries from the dead-letter queue until it was stored (1 unless storing failed); the main queue gave up after its own max_retries (10) before that",
    }),
    receivedAt: z.string(),
    replayedAt: z.string().nullable().openapi({
      description: "When `POST /v1/admin/dead-letters/{id}/replay` first applied it (later replays keep this time); null until then",
    }),
  })
  .openapi("DeadLetter");

/** Seconds a replay that failed (Postgres or the orders Worker down) asks the admin to wait. */
const REPLAY_RETRY_AFTER_SECONDS = 30;

/** A calendar date that exists (`2026-02-30` and year 0 are 400 here, not a database error). */
const isoDate = z.iso.date({ error: "a calendar date, YYYY-MM-DD", abort: true }).refine((d) => d >= "0001-01-01", "a calendar date, YYYY-MM-DD");

const notifications = createRoute({
  method: "get",
  path: "/v1/admin/notifications",
  tags: ["Admin"],
  summary: "Emails rendered for domain events (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { query: ListQuerySchema.extend({ orderId: z.string().min(1).max(64).optional().openapi({ param: { name: "orderId", in: "query" } }) }) },
  responses: { 200: jsonResponse(pageSchema(NotificationSchema, "NotificationPage"), "Notifications, newest first"), ...problems(400, 401, 403) },
});

const sales = createRoute({
  method: "get",
  path: "/v1/admin/analytics/sales",
  tags: ["Admin"],
  summary: "Units and revenue per day and SKU (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { query: z.object({ from: isoDate.openapi({ description: "First day (UTC), not after `to`" }), to: isoDate.openapi({ description: "Last day (UTC), included" }) }) },
  responses: { 200: jsonResponse(SalesReportSchema, "Sales between the dates, inclusive"), ...problems(400, 401, 403) },
});

const deadLetters = createRoute({
  method: "get",
  path: "/v1/admin/dead-letters",
  tags: ["Admin"],
  summary: "Queue messages given up on after retries (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: {
    query: ListQuerySchema.extend({
      replayed: z
        .enum(["true", "false"])
        .optional()
        .openapi({ param: { name: "replayed", in: "query" }, description: "`false`: only letters not replayed yet; `true`: only those replayed" }),
    }),
  },
  responses: { 200: jsonResponse(pageSchema(DeadLetterSchema, "DeadLetterPage"), "Dead letters, newest first"), ...problems(400, 401, 403) },
});

const replayDeadLetter = createRoute({
  method: "post",
  path: "/v1/admin/dead-letters/{id}/replay",
  tags: ["Admin"],
  summary: "Apply a dead letter's event as the queue would and mark it replayed (admin); repeating it is harmless",
  description:
    "Consumers deduplicate by event id, so replaying an event that was applied after all, or replaying twice, changes nothing; " +
    "`replayedAt` keeps the first successful replay's time. 409 CONFLICT when the body is not a domain event (nothing applied, not marked); " +
    "503 with `retry-after` when applying failed (Postgres or the orders Worker down; not marked).",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(DeadLetterSchema, "The dead letter, replayed"), ...problems(400, 401, 403, 404, 409, 503) },
});

/** A dead letter as the events Worker sends it: one of the release before has no `replayedAt`. */
type DeadLetterItem = { id: string; queue: string; body: unknown; attempts: number; receivedAt: string; replayedAt?: string | null };

const NOT_ROLLED_OUT: DomainError = { code: "SERVICE_UNAVAILABLE", detail: "This filter is not available until the release rolling out reaches every service; retry shortly." };

export const adminRoutes = new OpenAPIHono<AppEnv>()
  .openapi(notifications, async (c) => {
    const query = c.req.valid("query");
    return send(c, await pageOrPrevious("listNotificationPage", () => c.env.EVENTS.listNotificationPage(query), () => c.env.EVENTS.listNotifications(query.orderId), query));
  })
  .openapi(sales, async (c) => {
    const { from, to } = c.req.valid("query");
    if (from > to) return problemOf(c, "VALIDATION_FAILED", "`from` is after `to`.", [{ path: "from", message: "must not be after `to`" }]);
    return send(c, ok(await c.env.EVENTS.salesReport(from, to)));
  })
  .openapi(deadLetters, async (c) => {
    const { replayed, ...list } = c.req.valid("query");
    const query = { ...list, ...(replayed === undefined ? {} : { replayed: replayed === "true" }) };
    const page = await pageOrPrevious<DeadLetterItem>("listDeadLetterPage", () => c.env.EVENTS.listDeadLetterPage(query), () => c.env.EVENTS.listDeadLetters(), query);
    if (!page.ok) return send(c, page);
    // An events Worker of the release before has no `replayedAt` (nor a replay), and ignores `?replayed=`.
    if (replayed !== undefined && page.value.items.some((l) => l.replayedAt === undefined)) return problem(c, NOT_ROLLED_OUT, { "retry-after": String(ROLLOUT_RETRY_SECONDS) });
    return send(c, ok({ ...page.value, items: page.value.items.map((l) => ({ ...l, replayedAt: l.replayedAt ?? null })) }));
  })
  // An events Worker of the release before has no `replayDeadLetter`: app.ts answers 503 with retry-after (not rolled out yet).
  .openapi(replayDeadLetter, async (c) => {
    const r = await c.env.EVENTS.replayDeadLetter(c.req.valid("param").id);
    if (!r.ok && r.error.code === "SERVICE_UNAVAILABLE") return problem(c, r.error, { "retry-after": String(REPLAY_RETRY_AFTER_SECONDS) });
    return send(c, r);
  });

/**
 * A page from the events Worker. One of the release before this one has no
 * page methods: while a rollout meets one, its unpaged answer (the newest
 * 100) stands in as a single page (drop this once every events Worker has them).
 */
function pageOrPrevious<T>(method: string, page: () => Promise<Result<Page<T>>>, previous: () => Promise<T[]>, query: { limit: number; cursor?: string | undefined }): Promise<Result<Page<T>>> {
  return orPreviousRelease(method, page, async () => ok({ items: query.cursor === undefined ? (await previous()).slice(0, query.limit) : [], nextCursor: null }));
}
