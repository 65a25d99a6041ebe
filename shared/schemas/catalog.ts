import { z } from "@hono/zod-openapi";
import { ListQuerySchema, MoneySchema, multiLine, singleLine, type Money } from "./common.ts";
import { own } from "../records.ts";

export const CategorySchema = z
  .object({ id: z.string(), name: z.string(), slug: z.string() })
  .openapi("Category", { example: { id: "cat_0194f1c2a3b4c5d6e7f8a9b0c1d2", name: "Books", slug: "books" } });
export type Category = z.infer<typeof CategorySchema>;

export const CategoryInputSchema = z
  .object({
    name: singleLine(100),
    slug: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "lower-case letters, digits and single hyphens, e.g. board-games"),
  })
  .openapi("CategoryInput", { example: { name: "Board games", slug: "board-games" } });
export type CategoryInput = z.infer<typeof CategoryInputSchema>;

const skuRules = (s: z.ZodString): z.ZodString =>
  s.min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-', starting with a letter or digit");

/** A SKU as a path names it: exactly. */
export const SkuSchema = skuRules(z.string()).openapi({ example: "HOODIE-M" });

/** A SKU in a body: spaces around it are trimmed, as in a cart line. */
const BodySkuSchema = skuRules(z.string().trim()).openapi({ example: "HOODIE-M" });

export const VariantSchema = z
  .object({
    sku: z.string(),
    title: z.string(),
    price: MoneySchema,
    available: z.number().int().openapi({ description: "On hand minus live reservations" }),
    weightGrams: z.number().int(),
  })
  .openapi("Variant");
export type Variant = z.infer<typeof VariantSchema>;

export const ProductSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    category: CategorySchema,
    variants: z.array(VariantSchema),
    createdAt: z.string().openapi({ format: "date-time" }),
    updatedAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Product");
export type Product = z.infer<typeof ProductSchema>;

/** A product as cached: everything but the live `available` counts. */
export type ProductDoc = Omit<Product, "variants"> & { variants: Omit<Variant, "available">[] };

const title = singleLine(200);
const description = multiLine(5000);

/** The rules across a request's variants, for the OpenAPI document (`uniqueSkus`, `oneCurrency`). */
const VARIANTS_RULES = "Each SKU at most once in the request; every variant of a product in one currency";

/** Reports duplicate SKUs inside one request body at `variants.N.sku`. */
function uniqueSkus(variants: { sku: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  variants.forEach((v, i) => {
    if (seen.has(v.sku)) ctx.addIssue({ code: "custom", path: ["variants", i, "sku"], message: "Duplicate SKU in this request" });
    seen.add(v.sku);
  });
}

/** The heaviest a variant may be: one tonne. */
export const MAX_VARIANT_WEIGHT_GRAMS = 1_000_000;
/** What a variant created without `weightGrams` weighs (PATCH corrects it). */
export const DEFAULT_WEIGHT_GRAMS = 500;
const weightGrams = z.number().int().min(0).max(MAX_VARIANT_WEIGHT_GRAMS);

export const VariantInputSchema = z
  .object({
    sku: BodySkuSchema,
    title,
    price: MoneySchema,
    initialStock: z.number().int().min(0).max(1_000_000),
    // Defaulted by the catalog, not here: a gateway of the release before leaves it out, and it still weighs 500 g.
    weightGrams: weightGrams.optional().openapi({ default: DEFAULT_WEIGHT_GRAMS, description: `Grams, what weight-priced shipping charges by; ${DEFAULT_WEIGHT_GRAMS} when left out (PATCH changes it)` }),
  })
  .openapi("VariantInput");

/** What a patch may change of a variant; the others keep their value. */
const VARIANT_PATCH_FIELDS = ["price", "title", "weightGrams"] as const;

/** One variant in a patch, named by SKU: at least one of price, title and weight. */
export const VariantPatchSchema = z
  .object({ sku: BodySkuSchema, price: MoneySchema.optional(), title: title.optional(), weightGrams: weightGrams.optional() })
  .refine((v) => VARIANT_PATCH_FIELDS.some((k) => v[k] !== undefined), `Name at least one of ${VARIANT_PATCH_FIELDS.join(", ")} to change`)
  .openapi("VariantPatch", {
    description: "A variant of the product, by SKU, and what changes: any of price, title and weightGrams (at least one); what is not sent keeps its value",
    anyOf: VARIANT_PATCH_FIELDS.map((k) => ({ required: [k] })),
  });

/** Why a variant's price is refused when its product is priced in `currency`. */
export const oneCurrencyMessage = (currency: string): string => `All variants of a product share one currency (${currency})`;

/**
 * Reports, at `variants.N.price.currency`, variants priced in another currency
 * than the first priced one: a product's variants share one currency, so a
 * cart of them has one subtotal. (A patch is also checked against the variants it
 * leaves as they are, in the catalog Worker.)
 */
function oneCurrency(variants: { price?: { currency: string } }[], ctx: z.RefinementCtx): void {
  const currency = variants.find((v) => v.price)?.price?.currency ?? "";
  variants.forEach((v, i) => {
    if (v.price && v.price.currency !== currency) ctx.addIssue({ code: "custom", path: ["variants", i, "price", "currency"], message: oneCurrencyMessage(currency) });
  });
}

export const ProductCreateSchema = z
  .object({ title, description, categoryId: z.string().min(1).max(64), variants: z.array(VariantInputSchema).min(1).max(50).openapi({ description: VARIANTS_RULES }) })
  .superRefine((p, ctx) => {
    uniqueSkus(p.variants, ctx);
    oneCurrency(p.variants, ctx);
  })
  .openapi("ProductCreate", {
    example: {
      title: "Edge Mug",
      description: "Ceramic mug.",
      categoryId: "cat_0194f1c2a3b4c5d6e7f8a9b0c1d2",
      variants: [{ sku: "MUG-WHITE", title: "White", price: { amount: 1500, currency: "USD" }, initialStock: 90 }],
    },
  });
export type ProductCreateInput = z.infer<typeof ProductCreateSchema>;

export const ProductPatchSchema = z
  .object({
    title: title.optional(),
    description: description.optional(),
    categoryId: z.string().min(1).max(64).optional(),
    variants: z
      .array(VariantPatchSchema)
      .max(50)
      .optional()
      .openapi({ description: VARIANTS_RULES }),
  })
  .superRefine((p, ctx) => {
    uniqueSkus(p.variants ?? [], ctx);
    oneCurrency(p.variants ?? [], ctx);
  })
  .openapi("ProductPatch");
export type ProductPatchInput = z.infer<typeof ProductPatchSchema>;

/** An empty `category` or `q` means no filter. */
export const ProductListQuerySchema = ListQuerySchema.extend({
  category: z.string().max(100).optional().openapi({ param: { name: "category", in: "query" }, description: "Category slug" }),
  q: z.string().trim().max(200).optional().openapi({ param: { name: "q", in: "query" }, description: "Text searched in title and description: a case-insensitive substring, both sides in Unicode NFKC form" }),
});
export type ProductListQuery = z.infer<typeof ProductListQuerySchema>;

export const SkuParamSchema = z.object({ sku: SkuSchema.openapi({ param: { name: "sku", in: "path" } }) });

export const InventorySchema = z
  .object({ sku: z.string(), onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() })
  .openapi("Inventory", { example: { sku: "MUG-WHITE", onHand: 90, reserved: 2, available: 88 } });
export type Inventory = z.infer<typeof InventorySchema>;

export const AdjustmentSchema = z
  .object({
    delta: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .refine((d) => d !== 0, "delta must not be zero")
      .openapi({ not: { const: 0 }, description: "Units added (positive) or removed (negative); never zero" }),
    reason: singleLine(500),
  })
  .openapi("InventoryAdjustment", { example: { delta: 10, reason: "restock from supplier" } });
export type AdjustmentInput = z.infer<typeof AdjustmentSchema>;

/**
 * One change in a SKU's stock ledger (the StockDO's own record). `delta` is
 * the change of `onHand` for init, adjust, commit and restock, and of
 * `available` for reserve, release and expire.
 */
export const InventoryLedgerEntrySchema = z
  .object({
    seq: z.number().int(),
    kind: z.enum(["init", "adjust", "reserve", "commit", "release", "expire", "restock"]),
    delta: z.number().int(),
    reason: z.string(),
    reference: z.string().nullable().openapi({ description: "The reservation (checkout) or operation the change belongs to; null for the initial stock" }),
    at: z.string().openapi({ description: "ISO 8601, UTC" }),
  })
  .openapi("InventoryLedgerEntry", { example: { seq: 42, kind: "adjust", delta: 10, reason: "restock from supplier", reference: "adj_0f3c9a1b2c3d4e5f60718293a4b5", at: "2026-11-27T12:00:00.000Z" } });
export type InventoryLedgerEntry = z.infer<typeof InventoryLedgerEntrySchema>;

/** What other Workers learn about a SKU (CatalogService.getVariants). */
export interface VariantInfo {
  sku: string;
  productId: string;
  /** "<product title> - <variant title>" */
  title: string;
  price: Money;
  weightGrams: number;
}

/** A variant as add to cart needs it: its price snapshot and what can be bought now. */
export interface CartVariantInfo extends VariantInfo {
  available: number;
}

/**
 * `getVariants` and `getAvailability` answers joined: a SKU is in the result
 * only when it is both sold and stocked. The catalog's `getCartVariants`
 * answers this; the orders Worker builds it itself from a catalog without it.
 */
export function cartVariantsOf(variants: Record<string, VariantInfo>, available: Record<string, number>): Record<string, CartVariantInfo> {
  return Object.fromEntries(
    Object.entries(variants).flatMap(([sku, v]) => {
      const a = own(available, sku);
      return a === undefined ? [] : [[sku, { ...v, available: a }]];
    }),
  );
}

export interface StockItem {
  sku: string;
  quantity: number;
}
