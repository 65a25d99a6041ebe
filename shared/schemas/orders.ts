import { z } from "@hono/zod-openapi";
import { MoneySchema, MoneyTotalSchema, pageSchema } from "./common.ts";
import { AddressInputSchema } from "./users.ts";
import type { DomainError } from "../errors.ts";
import { looksLikePan } from "../pan.ts";

const NOT_A_CARD = "Must be a payment provider token such as tok_visa; card numbers are never accepted";

/**
 * Provider tokens only (`tok_...`, Stripe `pm_...`). Anything else, card
 * numbers included, fails here, also a card number behind a token's prefix
 * (`tok_4242424242424242`): before, that one passed and the payments Worker
 * refused it only after the order was placed, leaving a failed order behind.
 * The message never echoes the value, so a PAN can not leak into a response
 * or a log.
 */
export const PaymentTokenSchema = z
  .string()
  .regex(/^(tok|pm)_[A-Za-z0-9_]{1,64}$/, NOT_A_CARD)
  .refine((token) => !looksLikePan(token), NOT_A_CARD)
  .openapi({ example: "tok_visa" });

/**
 * The total a client agreed to. A component of its own: a description given
 * to MoneyTotal where a property uses it would become MoneyTotal's own
 * whenever that property is the first use the document generator meets.
 */
export const ExpectedTotalSchema = MoneyTotalSchema.openapi("ExpectedTotal", {
  description:
    "Optional: the total the customer was shown and agreed to (the cart's subtotal plus the shipping option's price, in minor units). " +
    "Checkout prices the cart at the catalog's prices of the moment and adds shipping; when that total differs from this one " +
    "(an amount or a currency), the answer is 409 `PRICE_CHANGED` carrying `total` (what the order would cost now) and `expectedTotal`, " +
    "and nothing is held or charged, no order is left and the cart stays as it is. That answer is stored under the Idempotency-Key like " +
    "every answer of a checkout that ran: show the new total, then check out again with a new key. Without this field the order is " +
    "charged at the prices of the moment.",
});

export const CheckoutSchema = z
  .object({
    shippingAddress: AddressInputSchema,
    shippingOptionId: z.string().trim().min(1).max(64),
    paymentToken: PaymentTokenSchema,
    expectedTotal: ExpectedTotalSchema.optional(),
  })
  .openapi("CheckoutRequest", {
    example: {
      shippingAddress: { name: "Ada Lovelace", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
      shippingOptionId: "ship_us_standard",
      paymentToken: "tok_visa",
    },
  });
export type CheckoutInput = z.infer<typeof CheckoutSchema>;

export const OrderStatusSchema = z.enum(["pending", "paid", "shipped", "delivered", "failed", "cancelled"]);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

export const ShippingAddressSchema = z
  .object({
    name: z.string(),
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  })
  .openapi("ShippingAddress");
export type ShippingAddress = z.infer<typeof ShippingAddressSchema>;

export const OrderItemSchema = z
  .object({
    sku: z.string(),
    productId: z.string().optional().openapi({
      description:
        "The product the SKU belongs to, as on a cart line (a link to its product page; a deleted product's id still names it). " +
        "Absent only on a line whose product could not be told (an order recorded by the release before this field, while it rolled out).",
    }),
    title: z.string(),
    quantity: z.number().int(),
    unitPrice: MoneySchema,
    lineTotal: MoneyTotalSchema,
  })
  .openapi("OrderItem");
export type OrderItem = z.infer<typeof OrderItemSchema>;

export const OrderPaymentSchema = z
  .object({
    id: z.string(),
    status: z.enum(["pending", "authorized", "captured", "voided", "refunded", "failed"]),
    last4: z.string().optional(),
  })
  .openapi("OrderPayment");
export type OrderPayment = z.infer<typeof OrderPaymentSchema>;

export const OrderSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    status: OrderStatusSchema,
    items: z.array(OrderItemSchema),
    subtotal: MoneyTotalSchema,
    shipping: MoneyTotalSchema,
    total: MoneyTotalSchema,
    shippingAddress: ShippingAddressSchema,
    shippingOptionId: z.string(),
    payment: OrderPaymentSchema,
    createdAt: z.string().openapi({ format: "date-time" }),
    updatedAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Order");
export type Order = z.infer<typeof OrderSchema>;

export const OrderPageSchema = pageSchema(OrderSchema, "OrderPage");

export const OrderListQuerySchema = z.object({
  userId: z.string().min(1).max(64).optional().openapi({ param: { name: "userId", in: "query" }, description: "Admin only: one user's orders. A customer's `userId` is ignored: a customer always lists their own orders." }),
  status: OrderStatusSchema.optional().openapi({
    param: { name: "status", in: "query" },
    description:
      "Only orders in this status (customers and admins; with `userId` and `cursor` alike). Another value is 400. " +
      "A list holds orders that reached payment, so `pending` lists none.",
  }),
});

/** Who is asking, as the gateway verified it. */
export interface OrderPrincipal {
  userId: string;
  role: "customer" | "admin";
}

/** One status change of an order, kept in the OrderDO and `order_status_history`. */
export interface OrderStatusChange {
  seq: number;
  status: OrderStatus;
  at: string;
}

/**
 * What `OrdersService.checkout` answers: the (possibly replayed) outcome plus
 * the request id of the first attempt, so a replay is byte-for-byte the same body.
 */
export interface CheckoutOutcome {
  replayed: boolean;
  requestId: string;
  result: { ok: true; value: Order } | { ok: false; error: DomainError };
}
