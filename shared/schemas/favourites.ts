import { z } from "@hono/zod-openapi";

export const FavouriteSchema = z
  .object({ productId: z.string(), addedAt: z.string().openapi({ format: "date-time" }) })
  .openapi("Favourite");
export interface Favourite {
  productId: string;
  addedAt: string;
}

export const FavouriteListSchema = z.object({ items: z.array(FavouriteSchema) }).openapi("FavouriteList");

export const ProductIdParamSchema = z.object({
  productId: z.string().min(1).max(64).openapi({ param: { name: "productId", in: "path" } }),
});
