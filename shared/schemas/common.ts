import { z } from "@hono/zod-openapi";
import { isCurrencyCode } from "./iso-codes.ts";

/** Money: integer minor units plus an ISO 4217 code. Never a float. */
export const MoneySchema = z
  .object({
    amount: z.number().int().min(0).max(100_000_000_00),
    currency: z.string().regex(/^[A-Z]{3}$/, { error: "ISO 4217 code, e.g. USD", abort: true }).refine(isCurrencyCode, "Not an ISO 4217 currency code"),
  })
  .openapi("Money", { example: { amount: 1999, currency: "USD" } });
export type Money = z.infer<typeof MoneySchema>;

export const IdParamSchema = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }) });

/** A query parameter's digits as a number; anything else (`1e1`, `0x10`, ` 10`) is left for the schema to refuse. */
export const digits = (v: unknown): unknown => (typeof v === "string" && /^[0-9]{1,9}$/.test(v) ? Number(v) : v);

/** `?limit=` (1-100 in plain digits, default 20) and `?cursor=`; anything else is 400. */
export const ListQuerySchema = z.object({
  limit: z.preprocess(digits, z.number().int().min(1).max(100)).default(20).openapi({ param: { name: "limit", in: "query" }, example: 20 }),
  cursor: z.string().min(1).max(200).optional().openapi({ param: { name: "cursor", in: "query" } }),
});

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");
