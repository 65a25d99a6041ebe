import { fail, type Result } from "../../../shared/errors.ts";
import { looksLikePan } from "../../../shared/pan.ts";
import type { AuthorizeInput, PaymentSummary } from "../../../shared/schemas/payments.ts";

/**
 * Rejects input edgeshop must never hold: a card number (or anything shaped
 * like one) in place of a provider token. The value is neither echoed nor logged.
 */
export function checkAuthorizeInput(input: AuthorizeInput): Result<PaymentSummary> | null {
  if (looksLikePan(input.token)) {
    return fail("VALIDATION_FAILED", "Only payment provider tokens are accepted, never card numbers.", [
      { path: "paymentToken", message: "Must be a payment provider token such as tok_visa" },
    ]);
  }
  if (!Number.isSafeInteger(input.amount.amount) || input.amount.amount < 0 || !/^[A-Z]{3}$/.test(input.amount.currency)) {
    return fail("VALIDATION_FAILED", "The amount must be integer minor units with an ISO 4217 currency.", [{ path: "amount", message: "Invalid money" }]);
  }
  return null;
}
