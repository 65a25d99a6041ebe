import { instrumentDurableObjectWithSentry, withSentry } from "@sentry/cloudflare";
import { CartDO as CartDOClass } from "../../../durable/cart-do.ts";
import { OrderDO as OrderDOClass } from "../../../durable/order-do.ts";
import { sentryOptions, sentryWhenConfigured, errorText } from "../../../shared/observability.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { Page } from "../../../shared/pagination.ts";
import type { AddCartItemInput, Cart } from "../../../shared/schemas/cart.ts";
import type { CheckoutInput, CheckoutOutcome, Order, OrderPrincipal } from "../../../shared/schemas/orders.ts";
import { DomainService } from "../../../shared/service.ts";
import { addCartItem, clearCart, getCart, removeCartItem, updateCartItem } from "./cart.ts";
import { checkout } from "./checkout.ts";
import { findOrder, listOrders, type OrderListQuery } from "./order-queries.ts";
import { traceObjectMethods } from "../../../shared/traced-object.ts";

// Plain function, not a method: DomainService wraps every method into an async RPC wrapper.
function orderStub(env: OrdersEnv, orderId: string) {
  return env.ORDER.get(env.ORDER.idFromName(orderId));
}

/**
 * RPC surface of the orders Worker: carts (CartDO per user), checkout (the
 * OrderDO saga) and order records (Postgres, with the OrderDO as fallback
 * for an order whose outbox has not delivered yet). Inputs arrive validated.
 */
class OrdersServiceBase extends DomainService<OrdersEnv> {
  protected static override readonly worker = "orders";
  async getCart(userId: string): Promise<Cart> {
    return getCart(this.env, userId);
  }

  async addCartItem(userId: string, input: AddCartItemInput): Promise<Result<Cart>> {
    return addCartItem(this.env, userId, input.sku, input.quantity);
  }

  async updateCartItem(userId: string, sku: string, quantity: number): Promise<Result<Cart>> {
    return updateCartItem(this.env, userId, sku, quantity);
  }

  async removeCartItem(userId: string, sku: string): Promise<Result<Cart>> {
    return removeCartItem(this.env, userId, sku);
  }

  async clearCart(userId: string): Promise<Result<null>> {
    await clearCart(this.env, userId);
    return ok(null);
  }

  async checkout(userId: string, idempotencyKey: string, input: CheckoutInput, requestId: string): Promise<CheckoutOutcome> {
    return checkout(this.env, userId, idempotencyKey, input, requestId);
  }

  async listOrders(principal: OrderPrincipal, query: OrderListQuery): Promise<Result<Page<Order>>> {
    return listOrders(this.db(), principal, query);
  }

  /**
   * `listOrders` and `checkout` under names the previous release lacks: the gateway calls them
   * for `?status=` and `expectedTotal`, so a rollout answers 503 where an older orders Worker
   * would ignore the filter (every order) or the total (a price the customer refused).
   */
  async listOrdersByStatus(principal: OrderPrincipal, query: OrderListQuery): Promise<Result<Page<Order>>> {
    return this.listOrders(principal, query);
  }

  async checkoutExpectingTotal(userId: string, idempotencyKey: string, input: CheckoutInput, requestId: string): Promise<CheckoutOutcome> {
    return this.checkout(userId, idempotencyKey, input, requestId);
  }

  /**
   * One order for its owner or an admin (NOT_FOUND otherwise). Postgres
   * first; an order it does not have yet (outbox pending, or Postgres down)
   * is answered by its OrderDO, the source of truth.
   */
  async getOrder(principal: OrderPrincipal, orderId: string): Promise<Result<Order>> {
    try {
      const row = await findOrder(this.db(), principal, orderId);
      if (row) return ok(row);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", worker: "orders", msg: "order read from Postgres failed, asking the OrderDO", error: errorText(err) }));
    }
    const fromDo = await orderStub(this.env, orderId).view(principal);
    return fromDo ? ok(fromDo) : fail("NOT_FOUND", "Order not found.");
  }

  /** Owner or admin; paid -> cancelled (refund, restock); after shipping 409 ORDER_NOT_CANCELLABLE. */
  async cancelOrder(principal: OrderPrincipal, orderId: string): Promise<Result<Order>> {
    return orderStub(this.env, orderId).cancelOrder(principal);
  }

  /**
   * Tests of error reporting only: makes a CartDO throw (it refuses unless FAULT_INJECTION is "on").
   * `label` ends the error's message, so each test can find its own event.
   */
  async injectDurableFault(label = ""): Promise<void> {
    await this.env.CART.get(this.env.CART.idFromName("fault-injection")).injectFault(label);
  }

  /** From the shipping Worker: idempotent, never backwards, only from paid/shipped. */
  async applyShipmentStatus(orderId: string, status: "shipped" | "delivered", at: string): Promise<Result<null>> {
    return orderStub(this.env, orderId).applyShipmentStatus(status, at);
  }

  /** From the events Worker: a full refund at the provider of a shipped order's payment shows on the order (see OrderDO.recordRefund). */
  async recordRefund(orderId: string, paymentId: string): Promise<Result<null>> {
    return orderStub(this.env, orderId).recordRefund(paymentId);
  }
}

/** Instrumented with Sentry: a thrown error (a bug, never an expected failure) is reported. */
export const OrdersService = sentryWhenConfigured(OrdersServiceBase, withSentry((env: OrdersEnv) => sentryOptions(env), OrdersServiceBase));
export default OrdersService;
/** The Durable Object classes, instrumented so their errors reach Sentry too. */
export type CartDO = CartDOClass;
export const CartDO = sentryWhenConfigured(CartDOClass, instrumentDurableObjectWithSentry((env: OrdersEnv) => sentryOptions(env), traceObjectMethods(CartDOClass)));
export type OrderDO = OrderDOClass;
export const OrderDO = sentryWhenConfigured(OrderDOClass, instrumentDurableObjectWithSentry((env: OrdersEnv) => sentryOptions(env), traceObjectMethods(OrderDOClass)));
