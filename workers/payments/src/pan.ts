import { fail, type Result } from "../../../shared/errors.ts";
import type { AuthorizeInput, PaymentSummary } from "../../../shared/schemas/payments.ts";

/** 13-19 digits, optionally grouped by spaces or dashes: what a card number looks like. */
const PAN_SHAPE = /(?:\d[ -]?){12,18}\d/;
/** The same, standing alone (not a digit run inside an id such as `pay_019a...`). */
const STANDALONE_PAN = /(?<![0-9A-Za-z_])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z_])/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** True when `text` contains a digit run shaped like a card number anywhere (strict: used on input). */
export function looksLikePan(text: string): boolean {
  return PAN_SHAPE.test(text);
}

/**
 * Card numbers found in `text`: standalone 13-19 digit runs that pass the Luhn
 * check. Used to audit stored rows and logs without tripping over ids or timestamps.
 */
export function findPans(text: string): string[] {
  return [...text.matchAll(STANDALONE_PAN)].map((m) => m[0].replace(/[ -]/g, "")).filter(luhnValid);
}

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
