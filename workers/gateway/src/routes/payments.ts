import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ok } from "../../../../shared/errors.ts";
import { endRefundedOrder } from "../../../../shared/refunded-order.ts";
import { IdParamSchema } from "../../../../shared/schemas/common.ts";
import { StripeEventSchema } from "../../../../shared/schemas/stripe-event.ts";
import { PaymentListSchema, WebhookAckSchema, WebhookEventSchema, toPublicPayment } from "../../../../shared/schemas/payments.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { bearer, jsonResponse, problems } from "../openapi.ts";
import { send } from "../respond.ts";
import { signedBody } from "../raw-body.ts";
import { errorText } from "../../../../shared/observability.ts";

const listForOrder = createRoute({
  method: "get",
  path: "/v1/orders/{id}/payments",
  tags: ["Payments"],
  summary: "The order's payments, oldest first (owner or admin)",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(PaymentListSchema, "The payments"), ...problems(401, 404) },
});

export const paymentRoutes = new OpenAPIHono<AppEnv>().openapi(listForOrder, async (c) => {
  const id = c.req.valid("param").id;
  // Ownership lives with the order: another user's order is NOT_FOUND, like a missing one.
  const order = await c.env.ORDERS.getOrder(principalOf(c), id);
  if (!order.ok) return send(c, order);
  const items = await c.env.PAYMENTS.listForOrder(id);
  return send(c, ok({ items: items.map(toPublicPayment) }));
});

// Documented here but not body-validated by the router: the signature is
// checked over the raw bytes (by the payments Worker) before the body is trusted.
paymentRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/webhooks/payments",
  tags: ["Payments"],
  summary: "Signed payment provider event; redeliveries are acknowledged and applied once",
  description:
    "Header `edgeshop-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">` with `PAYMENT_WEBHOOK_SECRET` (local default `whsec_local`), 5-minute tolerance.",
  request: {
    headers: z.object({ "edgeshop-signature": z.string() }),
    body: { content: { "application/json": { schema: WebhookEventSchema } }, required: true },
  },
  responses: { 200: jsonResponse(WebhookAckSchema, "Received (also for a redelivery)"), ...problems(400) },
});

/**
 * A webhook that refunded a payment ends its order before it is acknowledged
 * (`endRefundedOrder`), so from the 200 on the order reads cancelled and a
 * parcel scan arriving later finds it so. Should the orders Worker not
 * answer, the events queue's retry of the same step does it; the provider
 * still gets its 200, since the refund itself is recorded.
 */
async function endRefundedOrderNow(c: Context<AppEnv>, refunded: { orderId: string; paymentId: string }): Promise<void> {
  let failed: string | null;
  try {
    failed = await endRefundedOrder(c.env.ORDERS, refunded.orderId, refunded.paymentId);
  } catch (err) {
    failed = errorText(err);
  }
  if (failed) {
    console.warn(JSON.stringify({ level: "warn", worker: "gateway", requestId: c.get("requestId"), msg: "refunded order left to the events queue", orderId: refunded.orderId, error: failed }));
  }
}

/** A webhook's answer: `{received: true}` once applied (a refunded payment's order ended first), else its problem. */
async function acknowledge(c: Context<AppEnv>, result: Awaited<ReturnType<GatewayEnv["PAYMENTS"]["handleWebhook"]>>): Promise<Response> {
  if (result.ok && result.value.refunded) await endRefundedOrderNow(c, result.value.refunded);
  return send(c, result.ok ? ok({ received: true }) : result);
}

paymentRoutes.post("/v1/webhooks/payments", async (c) =>
  acknowledge(c, await c.env.PAYMENTS.handleWebhook(await signedBody(c), c.req.header("edgeshop-signature") ?? null)));

// Stripe's own events, documented but not body-validated by the router, like the webhook above.
paymentRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/webhooks/stripe",
  tags: ["Payments"],
  summary: "Stripe's own webhook events (with PAYMENT_PROVIDER stripe); redeliveries are acknowledged and applied once",
  description:
    "Point a Stripe webhook endpoint here. Header `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">[,v1=...]` " +
    "with the endpoint's signing secret (`STRIPE_WEBHOOK_SECRET`, `whsec_...`), 5-minute tolerance; any `v1` may match. " +
    "Applied: `charge.refunded` refunding the whole charge (as `payment.refunded`: the payment is refunded and its paid order cancelled), " +
    "`payment_intent.succeeded` (captured), `payment_intent.payment_failed` (failed), `payment_intent.canceled` (voided). " +
    "A partial refund is recorded (the payment lists `refundedAmount`, and a cancel refunds only the rest); any other type, or a PaymentIntent without edgeshop's `payment_id` metadata, is acknowledged and ignored. " +
    "404 `NOT_FOUND` while this deployment takes no Stripe webhooks (another `PAYMENT_PROVIDER`, or no `STRIPE_WEBHOOK_SECRET`).",
  request: {
    headers: z.object({ "stripe-signature": z.string() }),
    body: { content: { "application/json": { schema: StripeEventSchema } }, required: true },
  },
  responses: { 200: jsonResponse(WebhookAckSchema, "Received (also for a redelivery, and for an event that changes nothing)"), ...problems(400, 404) },
});

paymentRoutes.post("/v1/webhooks/stripe", async (c) =>
  acknowledge(c, await c.env.PAYMENTS.handleStripeWebhook(await signedBody(c), c.req.header("stripe-signature") ?? null)));
