/**
 * Card data edgeshop must never accept, store or log: primary account
 * numbers (PANs) and security codes. Payments take provider tokens only.
 */

/** 13-19 digits, optionally grouped by spaces or dashes: what a card number looks like. */
const PAN_SHAPE = /(?:\d[ -]?){12,18}\d/;
/** The same, standing alone (not a digit run inside an id such as `pay_019a...`). */
const STANDALONE_PAN = /(?<![0-9A-Za-z_])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z_])/g;
/** Field names that only card data goes under. */
const CARD_FIELD = /^(card|cards|cvc|cvc2|cvv|cvv2|csc|pan|card_?number|card_?no|security_?code|exp_?(month|year)|expiry)$/i;

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
 * The dotted path of the first card data in a parsed JSON body: a field named
 * like card data (`card`, `cvc`, `cardNumber`...) or a string or number that
 * is a Luhn-valid card number. Undefined when there is none. Unknown fields
 * are otherwise ignored; these are refused, so a client that sends card data
 * learns at once that it is never taken.
 */
export function findCardData(value: unknown, path = "", depth = 0): string | undefined {
  if (depth > 32) return undefined;
  if (typeof value === "string" || typeof value === "number") return findPans(String(value)).length > 0 ? path || "body" : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, v] of entries) {
    const at = path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && CARD_FIELD.test(key.replace(/-/g, "_"))) return at;
    const found = findCardData(v, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}
