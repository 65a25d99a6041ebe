import type { MiddlewareHandler } from "hono";
import { findCardData } from "../../../../shared/pan.ts";
import type { AppEnv } from "../context.ts";
import { problemOf } from "../respond.ts";

/**
 * Card numbers and security codes are never accepted: a JSON body carrying
 * one anywhere (a `card` object, a `cvc`, a Luhn-valid number in any field)
 * is refused with 400 naming the field, never echoing the value. Unknown
 * fields are otherwise ignored, so without this such a body would succeed
 * and the client would never learn that the card data went nowhere.
 * A body that is not JSON is left to the route's validator.
 */
export function refuseCardData(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return next();
    }
    const path = findCardData(body);
    if (path !== undefined) {
      return problemOf(c, "VALIDATION_FAILED", "Card numbers and security codes are never accepted: send a payment provider token (paymentToken).", [
        { path, message: "Card data is not accepted here" },
      ]);
    }
    await next();
  };
}
