import { DomainService } from "../../../shared/service.ts";

/** RPC surface of the orders Worker. */
export class OrdersService extends DomainService<OrdersEnv> {}

export default OrdersService;
export { CartDO } from "../../../durable/cart-do.ts";
export { OrderDO } from "../../../durable/order-do.ts";
