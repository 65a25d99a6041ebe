import { and, asc, desc, eq, inArray, lt } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { orderItems, orders, type OrderItemRow, type OrderRow } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { decodeCursor, toPage, type Page } from "../../../shared/pagination.ts";
import type { Order, OrderPayment, OrderPrincipal, OrderStatus, ShippingAddress } from "../../../shared/schemas/orders.ts";

export interface OrderListQuery {
  limit: number;
  cursor?: string;
  /** Admin only; ignored for customers, who always get their own orders. */
  userId?: string;
  /** Only orders in this status (anyone); absent from a gateway of the release before, which lists every status. */
  status?: OrderStatus;
}

/** A Postgres order row plus its lines -> API.md's Order. */
export function rowToOrder(row: OrderRow, items: OrderItemRow[]): Order {
  const currency = row.currency;
  return {
    id: row.id,
    userId: row.userId,
    status: row.status,
    items: items.map((i) => ({
      sku: i.sku,
      // A line the release before recorded during a rollout has none: the key is left out (OrderItem.productId is optional).
      ...(i.productId === null ? {} : { productId: i.productId }),
      title: i.title,
      quantity: i.quantity,
      unitPrice: { amount: i.unitAmount, currency: i.currency },
      lineTotal: { amount: i.lineAmount, currency: i.currency },
    })),
    subtotal: { amount: row.subtotalAmount, currency },
    shipping: { amount: row.shippingAmount, currency },
    total: { amount: row.totalAmount, currency },
    shippingAddress: row.shippingAddress as ShippingAddress,
    shippingOptionId: row.shippingOptionId,
    payment: {
      id: row.paymentId,
      status: row.paymentStatus as OrderPayment["status"],
      ...(row.paymentLast4 ? { last4: row.paymentLast4 } : {}),
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function withItems(db: Database, rows: OrderRow[]): Promise<Order[]> {
  if (rows.length === 0) return [];
  const lines = await db
    .select()
    .from(orderItems)
    .where(inArray(orderItems.orderId, rows.map((r) => r.id)))
    .orderBy(asc(orderItems.orderId), asc(orderItems.position));
  const byOrder = new Map<string, OrderItemRow[]>();
  for (const l of lines) byOrder.set(l.orderId, [...(byOrder.get(l.orderId) ?? []), l]);
  return rows.map((r) => rowToOrder(r, byOrder.get(r.id) ?? []));
}

/**
 * Orders newest first (ids are time-ordered), keyset-paginated; customers see
 * only their own, and anyone may keep to one `status`. The cursor is the last
 * id shown, so a filtered list pages as stably as the whole one.
 */
export async function listOrders(db: Database, who: OrderPrincipal, q: OrderListQuery): Promise<Result<Page<Order>>> {
  const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor, "ord");
  if (before === null) return fail("VALIDATION_FAILED", "Invalid cursor.", [{ path: "cursor", message: "Invalid cursor" }]);
  const owner = who.role === "admin" ? q.userId : who.userId;
  const rows = await db
    .select()
    .from(orders)
    .where(
      and(
        owner === undefined ? undefined : eq(orders.userId, owner),
        q.status === undefined ? undefined : eq(orders.status, q.status),
        before ? lt(orders.id, before) : undefined,
      ),
    )
    .orderBy(desc(orders.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit);
  return ok({ items: await withItems(db, page.items), nextCursor: page.nextCursor });
}

/** One order from Postgres, or null when there is no row (yet) or it is not the caller's. */
export async function findOrder(db: Database, who: OrderPrincipal, id: string): Promise<Order | null> {
  const [row] = await db.select().from(orders).where(eq(orders.id, id)).limit(1);
  if (!row || (who.role !== "admin" && row.userId !== who.userId)) return null;
  const [order] = await withItems(db, [row]);
  return order ?? null;
}
