import type { DomainError } from "../../../shared/errors.ts";
import type { Money } from "../../../shared/schemas/common.ts";
import type { OrderState } from "./order-state.ts";

const text = (m: Money): string => `${m.amount} ${m.currency}`;

/**
 * 409 PRICE_CHANGED when the client named the total it agreed to
 * (`expectedTotal`) and the order, repriced at the catalog's prices of now
 * plus the quoted `shipping`, costs something else (another amount or
 * currency); null when it named none or the totals agree. The answer carries
 * both totals, so a client can show the new one without parsing `detail`.
 */
export function priceChange(s: OrderState, shipping: number): DomainError | null {
  const expected = s.expectedTotal;
  if (!expected) return null;
  const total = { amount: s.subtotal + shipping, currency: s.currency };
  if (total.amount === expected.amount && total.currency === expected.currency) return null;
  return {
    code: "PRICE_CHANGED",
    detail:
      `The order's total is now ${text(total)}, not the ${text(expected)} expected (amounts in minor units): a price, the cart or shipping changed. ` +
      "Nothing was held or charged; show the new total and check out again with a new Idempotency-Key.",
    total,
    expectedTotal: { amount: expected.amount, currency: expected.currency },
  };
}
