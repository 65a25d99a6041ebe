import { z } from "@hono/zod-openapi";
import { MoneySchema, MoneyTotalSchema } from "./common.ts";

/** Upper bound of one line's quantity, the same as one request may add. */
export const MAX_LINE_QUANTITY = 99;
/**
 * Different SKUs one cart holds at most. Checkout makes one StockDO call per
 * line to hold and one to sell, each a subrequest of one request chain, so a
 * cart stays well inside the platform's subrequest budget.
 */
export const MAX_LINES = 50;

/** SKUs as the catalog spells them; kept loose here, the catalog is the authority. */
export const SkuSchema = z.string().trim().min(1).max(64).openapi({ example: "HOODIE-M" });

export const SkuParamSchema = z.object({ sku: SkuSchema.openapi({ param: { name: "sku", in: "path" } }) });

export const CartItemSchema = z
  .object({
    sku: z.string(),
    productId: z.string(),
    title: z.string(),
    quantity: z.number().int(),
    unitPrice: MoneySchema,
    lineTotal: MoneyTotalSchema,
    excludedFromSubtotal: z.enum(["NO_LONGER_SOLD", "OTHER_CURRENCY"]).optional().openapi({
      description:
        "Present only on a line the subtotal leaves out, which checkout refuses until it is removed: its product was deleted (NO_LONGER_SOLD), or is now priced in another currency than the cart (OTHER_CURRENCY).",
    }),
  })
  .openapi("CartItem");
export type CartItem = z.infer<typeof CartItemSchema>;

export const CartSchema = z
  .object({
    id: z.string(),
    items: z.array(CartItemSchema),
    subtotal: MoneyTotalSchema,
    updatedAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Cart");
export type Cart = z.infer<typeof CartSchema>;

export const AddCartItemSchema = z
  .object({ sku: SkuSchema, quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY) })
  .openapi("AddCartItemRequest", { example: { sku: "HOODIE-M", quantity: 2 } });
export type AddCartItemInput = z.infer<typeof AddCartItemSchema>;

export const UpdateCartItemSchema = z
  .object({ quantity: z.number().int().min(0).max(MAX_LINE_QUANTITY) })
  .openapi("UpdateCartItemRequest", { example: { quantity: 3 } });
export type UpdateCartItemInput = z.infer<typeof UpdateCartItemSchema>;

/** What the cart snapshots from the catalog when a line is added (price, title, weight for shipping). */
export interface CartVariant {
  sku: string;
  productId: string;
  title: string;
  price: { amount: number; currency: string };
  weightGrams: number;
}

/** A cart line as the checkout saga receives it: the snapshot plus the weight. */
export interface CheckoutLine {
  sku: string;
  productId: string;
  title: string;
  quantity: number;
  unitPrice: { amount: number; currency: string };
  weightGrams: number;
}
