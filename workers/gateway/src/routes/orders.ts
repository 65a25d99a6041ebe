import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { IdParamSchema, ListQuerySchema } from "../../../../shared/schemas/common.ts";
import { OrderListQuerySchema, OrderPageSchema, OrderSchema } from "../../../../shared/schemas/orders.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { bearer, jsonResponse, problems } from "../openapi.ts";
import { catalogReads } from "../read-cache.ts";
import { send } from "../respond.ts";

const list = createRoute({
  method: "get",
  path: "/v1/orders",
  tags: ["Checkout and orders"],
  summary: "Orders, newest first: the caller's own; an admin sees all (`?userId=` filters); `?status=` keeps one status",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: { query: ListQuerySchema.extend(OrderListQuerySchema.shape) },
  responses: { 200: jsonResponse(OrderPageSchema, "A page of orders"), ...problems(400, 401) },
});

const get = createRoute({
  method: "get",
  path: "/v1/orders/{id}",
  tags: ["Checkout and orders"],
  summary: "One order (owner or admin)",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(OrderSchema, "The order"), ...problems(401, 404) },
});

const cancel = createRoute({
  method: "post",
  path: "/v1/orders/{id}/cancel",
  tags: ["Checkout and orders"],
  summary: "Cancel a paid order before shipping: refund and restock (owner or admin; repeating it is harmless)",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(OrderSchema, "The cancelled order"), ...problems(401, 404, 409, 502) },
});

export const orderRoutes = new OpenAPIHono<AppEnv>()
  .openapi(list, async (c) => {
    const { limit, cursor, userId, status } = c.req.valid("query");
    const query = { limit, cursor, userId, status };
    return send(c, await (status === undefined ? c.env.ORDERS.listOrders(principalOf(c), query) : c.env.ORDERS.listOrdersByStatus(principalOf(c), query)));
  })
  .openapi(get, async (c) => send(c, await c.env.ORDERS.getOrder(principalOf(c), c.req.valid("param").id)))
  .openapi(cancel, async (c) => {
    const r = await c.env.ORDERS.cancelOrder(principalOf(c), c.req.valid("param").id);
    if (r.ok) catalogReads.invalidateSkus(r.value.items.map((l) => l.sku)); // the stock came back
    return send(c, r);
  });
