import { z } from "@hono/zod-openapi";
import { MoneyTotalSchema, type Money } from "./common.ts";

/** authorized -> captured -> refunded; authorized -> voided; failed (authorization refused). */
export const PaymentStatusSchema = z.enum(["authorized", "captured", "voided", "refunded", "failed"]);
export type PaymentStatus = z.infer<typeof PaymentStatusSchema>;

/** What PaymentsService returns over RPC (the cross-Worker contract). */
export interface PaymentSummary {
  id: string;
  orderId: string;
  userId: string;
  status: PaymentStatus;
  amount: Money;
  provider: string;
  last4?: string;
  createdAt: string;
  /** Only while part of the payment was refunded at the provider (and the payment is not refunded): how much, cumulative. */
  refundedAmount?: Money;
}

/** `PaymentsService.authorize` input: a provider token, never a card number. */
export interface AuthorizeInput {
  paymentId: string;
  orderId: string;
  userId: string;
  amount: Money;
  token: string;
}

/**
 * A payment's amount refunded so far, under a name of its own (as ExpectedTotal, orders.ts): a description
 * given to MoneyTotal where a property uses it would become MoneyTotal's own.
 */
export const RefundedAmountSchema = MoneyTotalSchema.openapi("RefundedAmount", {
  description:
    "Optional: present only while part of the payment was refunded at the provider (a partial refund made there) and the payment is not " +
    "`refunded`: the amount refunded so far, cumulative, in minor units. The payment stays `captured`; cancelling its order refunds only the rest.",
});

/** One payment as `GET /v1/orders/{id}/payments` shows it (exactly these fields; `refundedAmount` only after a partial refund). */
export const PaymentSchema = z
  .object({
    id: z.string(),
    status: PaymentStatusSchema,
    amount: MoneyTotalSchema,
    provider: z.string(),
    createdAt: z.string().openapi({ format: "date-time" }),
    refundedAmount: RefundedAmountSchema.optional(),
  })
  .openapi("Payment");
export type Payment = z.infer<typeof PaymentSchema>;

export const PaymentListSchema = z.object({ items: z.array(PaymentSchema) }).openapi("PaymentList");

/** The public view of a summary: internal fields (userId, last4, orderId) are left out. */
export function toPublicPayment(p: PaymentSummary): Payment {
  return { id: p.id, status: p.status, amount: p.amount, provider: p.provider, createdAt: p.createdAt, ...(p.refundedAmount ? { refundedAmount: p.refundedAmount } : {}) };
}

export const WebhookEventTypeSchema = z.enum(["payment.captured", "payment.refunded", "payment.failed"]);
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;

/** Body of `POST /v1/webhooks/payments`; unknown keys are dropped, so nothing else is ever kept. */
export const WebhookEventSchema = z
  .object({
    id: z.string().min(1).max(255),
    type: WebhookEventTypeSchema,
    data: z.object({
      paymentId: z.string().min(1).max(64),
      orderId: z.string().min(1).max(64),
      status: PaymentStatusSchema,
      amount: MoneyTotalSchema,
    }),
  })
  .openapi("PaymentWebhookEvent", {
    example: {
      id: "evt_1",
      type: "payment.captured",
      data: { paymentId: "pay_1", orderId: "ord_1", status: "captured", amount: { amount: 1999, currency: "USD" } },
    },
  });
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

export const WebhookAckSchema = z.object({ received: z.literal(true) }).openapi("WebhookAck");
