import { z } from "@hono/zod-openapi";
import { STATUS_BY_CODE } from "../errors.ts";
import { isCurrencyCode } from "./iso-codes.ts";

/** An ISO 4217 currency code that exists (`XYZ` is 400). */
export const CurrencySchema = z.string().regex(/^[A-Z]{3}$/, { error: "ISO 4217 code, e.g. USD", abort: true }).refine(isCurrencyCode, "Not an ISO 4217 currency code");

/** Money: integer minor units plus an ISO 4217 code. Never a float. A price or rate a client sets is at most 10^10. */
export const MoneySchema = z
  .object({ amount: z.number().int().min(0).max(100_000_000_00), currency: CurrencySchema })
  .openapi("Money", { example: { amount: 1999, currency: "USD" } });
export type Money = z.infer<typeof MoneySchema>;

/**
 * Money edgeshop computes from prices: line totals, subtotals, order totals,
 * payments, revenue. 99 units of 50 lines at the largest price pass 10^10,
 * so these go up to the largest integer a JSON number holds exactly (an
 * event or a provider's webhook of such an order is valid, not dead-lettered).
 */
export const MoneyTotalSchema = z
  .object({ amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), currency: CurrencySchema })
  .openapi("MoneyTotal", { example: { amount: 49990, currency: "USD" } });

/** A computed amount that may be negative: a day's revenue when its refunds outweigh its sales. */
export const MoneyNetSchema = z
  .object({ amount: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER), currency: CurrencySchema })
  .openapi("MoneyNet", { example: { amount: -1999, currency: "USD" } });

/** C0 and C1 controls, and the bidirectional overrides and isolates that make text read other than it is stored. */
const CONTROLS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
/** The same, less tab, line feed and carriage return: multi-line text keeps its lines. */
const CONTROLS_BUT_LINES = /[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]/u;
/** Line and paragraph separators, which a single line does not hold either. */
const LINE_BREAKS = /[\u2028\u2029]/u;
/**
 * A character someone sees: a letter, number, punctuation or symbol. Spaces,
 * format characters (a zero-width space, say) and marks (a combining accent,
 * a variation selector) alone show nothing; accents and emoji sequences pass
 * by the letter or symbol they sit on.
 */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
/** Letters and symbols that render as blank space: the Hangul fillers and the Braille blank. */
const FILLERS = /[\u115F\u1160\u3164\uFFA0\u2800]/gu;
/** Private-use characters and noncharacters (U+FDD0-U+FDEF, U+xFFFE and U+xFFFF), which mean nothing to anyone but their author. */
const PRIVATE_OR_NONCHARACTER = /[\p{Co}\p{Noncharacter_Code_Point}]/u;

/**
 * A name, title, address line or reason: trimmed, `min`-`max` characters, no
 * control characters or line breaks (a bell, a newline or a right-to-left
 * override in a name is never what a customer meant and misleads whoever
 * reads it), no private-use characters or noncharacters, and something
 * visible (a name of only zero-width spaces, Hangul fillers or a lone
 * combining accent is as empty as one of spaces) unless it is empty and may be.
 */
export function singleLine(max: number, min = 1) {
  // Each check stops the rest when it fails: one message per field, as before these checks.
  const text = z
    .string()
    .trim()
    .min(min, { abort: true })
    .max(max, { abort: true })
    .refine((s) => !CONTROLS.test(s) && !LINE_BREAKS.test(s), { message: "Control characters and line breaks are not allowed", abort: true })
    .refine((s) => !PRIVATE_OR_NONCHARACTER.test(s), { message: "Private-use characters and noncharacters are not allowed", abort: true });
  // An optional field may be empty (""), but not filled with what shows nothing: that is no more a value than spaces.
  return text.refine((s) => (min === 0 && s === "") || VISIBLE.test(s.replace(FILLERS, "")), "Must contain a visible character");
}

/** A description: trimmed, at most `max` characters, lines and tabs allowed, no other control characters. */
export function multiLine(max: number) {
  return z.string().trim().max(max).refine((s) => !CONTROLS_BUT_LINES.test(s), "Control characters other than tab and line breaks are not allowed");
}

export const IdParamSchema = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }) });

/**
 * A query parameter of at most `max` digits as a number; anything else (`1e1`,
 * `0x10`, ` 10`, more digits) is left for the schema to refuse. Up to 15
 * digits are read exactly.
 */
export const digitsUpTo =
  (max: number) =>
  (v: unknown): unknown =>
    typeof v === "string" && v.length <= max && /^[0-9]+$/.test(v) ? Number(v) : v;

/** A query parameter's digits (at most 9) as a number; anything else is left for the schema to refuse. */
export const digits = digitsUpTo(9);

/** `?limit=` (1-100 in plain digits, default 20) and `?cursor=`; anything else is 400. */
export const ListQuerySchema = z.object({
  limit: z.preprocess(digits, z.number().int().min(1).max(100)).default(20).openapi({ param: { name: "limit", in: "query" }, example: 20 }),
  cursor: z.string().min(1).max(200).optional().openapi({ param: { name: "cursor", in: "query" } }),
});

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

const ERROR_CODES = Object.entries(STATUS_BY_CODE)
  .map(([code, status]) => `\`${code}\` ${status}`)
  .join(", ");

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ description: `Stable machine code. Every code, with its status: ${ERROR_CODES}.` }),
    detail: z.string(),
    requestId: z.string(),
    errors: z
      .array(
        z.object({
          path: z.string(),
          message: z.string(),
          sku: z.string().optional().openapi({ description: "OUT_OF_STOCK: the SKU that is short" }),
          requested: z.number().int().optional().openapi({ description: "OUT_OF_STOCK: the units asked for (the line's new quantity in a cart, the line's quantity at checkout)" }),
          available: z.number().int().min(0).optional().openapi({ description: "OUT_OF_STOCK: the units that can be bought now" }),
        }),
      )
      .optional(),
    orderId: z.string().optional().openapi({ description: "A checkout refused after reaching payment (402, 502, 503, or 409 OUT_OF_STOCK when a hold expired before the commit): the order it left in the history, in status `failed`" }),
    // Described on the Problem: a description given to MoneyTotal here could become MoneyTotal's own in the document.
    total: MoneyTotalSchema.optional(),
    expectedTotal: MoneyTotalSchema.optional(),
  })
  .openapi("Problem", {
    description:
      "RFC 9457 problem details. Members beyond API.md's, each only where named: `errors[].sku`, `requested`, `available` (OUT_OF_STOCK: the " +
      "short SKU, the units asked for, the units that can be bought now); `orderId` (a checkout that failed after reaching payment, 402/502/503: " +
      "the `failed` order it left in the history); `total` and `expectedTotal` (PRICE_CHANGED: what the order costs now, subtotal at today's " +
      "prices plus shipping, and the checkout's `expectedTotal` as sent).",
  });
