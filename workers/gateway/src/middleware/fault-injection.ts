import type { MiddlewareHandler } from "hono";
import type { FaultEnv } from "../../../../shared/service.ts";
import type { AppEnv } from "../context.ts";

/**
 * Tests only (FAULT_INJECTION=on, never set in any wrangler environment):
 * `x-edgeshop-fault: gateway` throws here, `x-edgeshop-fault: users` makes
 * the users Worker throw, `x-edgeshop-fault: database` fail its query for want
 * of a database, and `x-edgeshop-fault: cart` a CartDO (through the orders
 * Worker), so error reporting is checked end to end.
 */
export function faultInjection(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const fault = c.req.header("x-edgeshop-fault");
    if (!fault || (c.env as FaultEnv).FAULT_INJECTION !== "on") return next();
    if (fault === "gateway") throw new Error("injected fault in gateway");
    if (fault === "users") await c.env.USERS.injectFault();
    if (fault === "database") await c.env.USERS.injectFault("database");
    if (fault === "cart") await c.env.ORDERS.injectDurableFault("through the gateway");
    return next();
  };
}
