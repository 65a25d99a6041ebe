import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { ok, orPreviousRelease, type Result } from "../../../../shared/errors.ts";
import type { Page } from "../../../../shared/pagination.ts";
import { ListQuerySchema, MoneyNetSchema, pageSchema } from "../../../../shared/schemas/common.ts";
import type { AppEnv } from "../context.ts";
import { requireAuth } from "../middleware/auth.ts";
import { bearer, jsonResponse, problems } from "../openapi.ts";
import { problemOf, send } from "../respond.ts";

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
      description: "Deliveries from the dead-letter queue until it was stored (1 unless storing failed); the main queue gave up after its own max_retries (3) before that",
    }),
    receivedAt: z.string(),
  })
  .openapi("DeadLetter");

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
  request: { query: z.object({ from: isoDate, to: isoDate }) },
  responses: { 200: jsonResponse(SalesReportSchema, "Sales between the dates, inclusive"), ...problems(400, 401, 403) },
});

const deadLetters = createRoute({
  method: "get",
  path: "/v1/admin/dead-letters",
  tags: ["Admin"],
  summary: "Queue messages given up on after retries (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { query: ListQuerySchema },
  responses: { 200: jsonResponse(pageSchema(DeadLetterSchema, "DeadLetterPage"), "Dead letters, newest first"), ...problems(400, 401, 403) },
});

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
    const query = c.req.valid("query");
    return send(c, await pageOrPrevious("listDeadLetterPage", () => c.env.EVENTS.listDeadLetterPage(query), () => c.env.EVENTS.listDeadLetters(), query));
  });

/**
 * A page from the events Worker. One of the release before this one has no
 * page methods: while a rollout meets one, its unpaged answer (the newest
 * 100) stands in as a single page (drop this once every events Worker has them).
 */
function pageOrPrevious<T>(method: string, page: () => Promise<Result<Page<T>>>, previous: () => Promise<T[]>, query: { limit: number; cursor?: string | undefined }): Promise<Result<Page<T>>> {
  return orPreviousRelease(method, page, async () => ok({ items: query.cursor === undefined ? (await previous()).slice(0, query.limit) : [], nextCursor: null }));
}
