import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Durable order records. The OrderDO (one per order) is the source of truth
 * for an order's state; these rows are its queryable copy, delivered by the
 * OrderDO's outbox. Delivery may repeat or arrive out of order, so every
 * write is an upsert guarded by `version` (a newer copy is never overwritten
 * by an older one). No foreign key to users: an outbox must never be blocked
 * forever by a constraint it cannot fix.
 */
export const orders = pgTable(
  "orders",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    status: text("status", { enum: ["pending", "paid", "shipped", "delivered", "failed", "cancelled"] }).notNull(),
    currency: text("currency").notNull(),
    /** Minor units; bigint because Money allows more than 2^31. */
    subtotalAmount: bigint("subtotal_amount", { mode: "number" }).notNull(),
    shippingAmount: bigint("shipping_amount", { mode: "number" }).notNull(),
    totalAmount: bigint("total_amount", { mode: "number" }).notNull(),
    shippingAddress: jsonb("shipping_address").$type<Record<string, string>>().notNull(),
    shippingOptionId: text("shipping_option_id").notNull(),
    paymentId: text("payment_id").notNull(),
    paymentStatus: text("payment_status").notNull(),
    paymentLast4: text("payment_last4"),
    /** Bumped by the OrderDO on every change; the upsert applies only a higher version. */
    version: integer("version").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    index("orders_user_id_idx").on(t.userId, t.id),
    // `GET /v1/orders?status=` for an admin: newest first within one status, without walking every other order.
    index("orders_status_idx").on(t.status, t.id),
  ],
);

/** The lines of an order, fixed at checkout (price snapshot). */
export const orderItems = pgTable(
  "order_items",
  {
    orderId: text("order_id").notNull().references(() => orders.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    sku: text("sku").notNull(),
    /**
     * The SKU's product (migration 0013, which filled it in for older rows from `variants`, where a SKU keeps its
     * product for good). Null only for a row the release before wrote after that migration ran (a rollout).
     */
    productId: text("product_id"),
    title: text("title").notNull(),
    quantity: integer("quantity").notNull(),
    unitAmount: bigint("unit_amount", { mode: "number" }).notNull(),
    lineAmount: bigint("line_amount", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
  },
  (t) => [primaryKey({ name: "order_items_pk", columns: [t.orderId, t.position] })],
);

/** Every status an order went through; `seq` comes from the OrderDO, so redelivery inserts nothing new. */
export const orderStatusHistory = pgTable(
  "order_status_history",
  {
    orderId: text("order_id").notNull().references(() => orders.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    status: text("status").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ name: "order_status_history_pk", columns: [t.orderId, t.seq] })],
);

export type OrderRow = typeof orders.$inferSelect;
export type NewOrderRow = typeof orders.$inferInsert;
export type OrderItemRow = typeof orderItems.$inferSelect;
