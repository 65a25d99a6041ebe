import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { IdParamSchema } from "../../../../shared/schemas/common.ts";
import { CarrierWebhookSchema, ShipmentEventInputSchema, ShipmentSchema } from "../../../../shared/schemas/shipping.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { send } from "../respond.ts";
import { signedBody } from "../raw-body.ts";

const getForOrder = createRoute({
  method: "get",
  path: "/v1/orders/{id}/shipment",
  tags: ["Shipping"],
  summary: "The order's shipment and its tracking history (owner or admin)",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(ShipmentSchema, "The shipment"), ...problems(401, 404) },
});

const addEvent = createRoute({
  method: "post",
  path: "/v1/shipments/{id}/events",
  tags: ["Shipping"],
  summary: "Record a carrier status (admin); the order follows to shipped, then delivered",
  description: "Shipments only move forward (pending -> in_transit -> delivered); a late or repeated status changes nothing and returns the shipment as it is.",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: IdParamSchema, ...jsonBody(ShipmentEventInputSchema) },
  responses: { 200: jsonResponse(ShipmentSchema, "The shipment after the event"), ...problems(400, 401, 403, 404, 409) },
});

export const shipmentRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getForOrder, async (c) => {
    const id = c.req.valid("param").id;
    // Ownership lives with the order: another user's order is NOT_FOUND, like a missing one.
    const order = await c.env.ORDERS.getOrder(principalOf(c), id);
    if (!order.ok) return send(c, order);
    return send(c, await c.env.SHIPPING.getShipmentForOrder(id));
  })
  .openapi(addEvent, async (c) => send(c, await c.env.SHIPPING.addEvent(c.req.valid("param").id, c.req.valid("json").status, "admin")));

// The carrier webhook is documented here but not body-validated by the router:
// the signature must be checked on the raw bytes before anything in the body is trusted.
shipmentRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/webhooks/carrier",
  tags: ["Shipping"],
  summary: "Signed carrier status report, mapped to a shipment event by tracking number",
  description:
    "Header `edgeshop-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">` with `CARRIER_WEBHOOK_SECRET` (local default `whsec_carrier_local`), 5-minute tolerance.",
  request: {
    headers: z.object({ "edgeshop-signature": z.string() }),
    body: { content: { "application/json": { schema: CarrierWebhookSchema } }, required: true },
  },
  responses: { 200: jsonResponse(ShipmentSchema, "The shipment after the event"), ...problems(400, 404) },
});

shipmentRoutes.post("/v1/webhooks/carrier", async (c) =>
  send(c, await c.env.SHIPPING.handleCarrierWebhook(await signedBody(c), c.req.header("edgeshop-signature") ?? null)),
);
