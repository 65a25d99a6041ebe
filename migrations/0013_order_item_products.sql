ALTER TABLE "order_items" ADD COLUMN "product_id" text;--> statement-breakpoint
CREATE INDEX "orders_status_idx" ON "orders" USING btree ("status","id");--> statement-breakpoint
-- Order lines recorded before product_id existed: a SKU keeps its product for good (products are soft-deleted and SKUs never reused), so variants names it.
UPDATE "order_items" SET "product_id" = "variants"."product_id" FROM "variants" WHERE "variants"."sku" = "order_items"."sku" AND "order_items"."product_id" IS NULL;
