ALTER TABLE "shipping_rates" ALTER COLUMN "base_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "shipping_rates" ALTER COLUMN "per_kg_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "inventory" ALTER COLUMN "initial" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "inventory" ALTER COLUMN "adjusted" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "inventory" ALTER COLUMN "on_hand" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "inventory" ALTER COLUMN "sold" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "variants" ALTER COLUMN "price_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sales_daily" ALTER COLUMN "units" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sales_daily" ALTER COLUMN "revenue" SET DATA TYPE bigint;