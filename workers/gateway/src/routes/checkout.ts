import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { problemResponse } from "../../../../shared/errors.ts";
import { CheckoutSchema, OrderSchema } from "../../../../shared/schemas/orders.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { refuseCardData } from "../middleware/refuse-card-data.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { catalogReads } from "../read-cache.ts";
import { problemOf } from "../respond.ts";

/** Missing (or empty) `Idempotency-Key` is its own 400, checked before the body is. */
function requireIdempotencyKey(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.req.header("idempotency-key")) {
      return problemOf(c, "IDEMPOTENCY_KEY_REQUIRED", "Send an Idempotency-Key header (1-255 characters) with every checkout.");
    }
    await next();
  };
}

const checkout = createRoute({
  method: "post",
  path: "/v1/checkout",
  tags: ["Checkout and orders"],
  summary: "Place an order from the cart (idempotent by Idempotency-Key)",
  description:
    "Same key + same body replays the first response with `idempotent-replayed: true`; a different body is 422 " +
    "`IDEMPOTENCY_KEY_REUSED`; while the first is running 409 `IDEMPOTENCY_IN_PROGRESS` with `retry-after: 1` (send the same key again " +
    "then for its answer). Keys are per user and kept at least 24 h. With `expectedTotal`, a total other than the one the order would " +
    "cost now is 409 `PRICE_CHANGED` (with `total` and `expectedTotal`), holding and charging nothing. A payment failure (402, 502) " +
    "names the `failed` order it left in the history (`orderId`); an `OUT_OF_STOCK` entry names its `sku`, `requested` and `available`.",
  security: bearer,
  middleware: [requireAuth("customer"), requireIdempotencyKey(), refuseCardData()] as const,
  request: {
    headers: z.object({ "idempotency-key": z.string().min(1).max(255).openapi({ param: { name: "idempotency-key", in: "header" }, description: "Idempotency-Key: 1-255 characters, unique per checkout attempt" }) }),
    ...jsonBody(CheckoutSchema),
  },
  responses: { 201: jsonResponse(OrderSchema, "The order, paid"), ...problems(400, 401, 402, 403, 404, 409, 422, 502) },
});

export const checkoutRoutes = new OpenAPIHono<AppEnv>().openapi(checkout, async (c) => {
  const key = c.req.valid("header")["idempotency-key"];
  const [input, userId, requestId] = [c.req.valid("json"), principalOf(c).userId, c.get("requestId")];
  const outcome = await (input.expectedTotal === undefined
    ? c.env.ORDERS.checkout(userId, key, input, requestId)
    : c.env.ORDERS.checkoutExpectingTotal(userId, key, input, requestId));
  const headers: Record<string, string> = outcome.replayed ? { "idempotent-replayed": "true" } : {};
  // A replay repeats the first answer exactly, including the request id in a problem body.
  if (!outcome.result.ok) return problemResponse(outcome.result.error, outcome.requestId, headers);
  // Stock moved: this isolate's cached product reads of these SKUs go (others expire within the read TTL).
  catalogReads.invalidateSkus(outcome.result.value.items.map((l) => l.sku));
  return c.json(outcome.result.value, 201, headers);
});
