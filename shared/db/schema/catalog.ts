import { bigint, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const categories = pgTable("categories", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  slug: text("slug").notNull().unique("categories_slug_unique"),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * Products are soft-deleted (`deleted_at`): their SKUs stay taken, so a SKU
 * never points at two different StockDO histories, and orders keep resolving.
 */
export const products = pgTable(
  "products",
  {
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    categoryId: text("category_id")
      .notNull()
      .references(() => categories.id),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("products_category_idx").on(t.categoryId, t.id)],
);

export const variants = pgTable(
  "variants",
  {
    sku: text("sku").primaryKey(),
    productId: text("product_id")
      .notNull()
      .references(() => products.id),
    title: text("title").notNull(),
    // bigint, like every Money amount: the API takes up to 10^10 minor units (int4 stopped at 2^31, a 500).
    priceAmount: bigint("price_amount", { mode: "number" }).notNull(),
    priceCurrency: text("price_currency").notNull(),
    weightGrams: integer("weight_grams").notNull().default(500),
    /** Order of the variant inside its product, as given at creation. */
    position: integer("position").notNull(),
  },
  (t) => [index("variants_product_idx").on(t.productId, t.position)],
);

/**
 * Durable inventory record per SKU, written from the catalog Worker after
 * each StockDO change (never inside the DO). `seq` is the DO ledger sequence
 * of the snapshot written, so late or reordered writes never go backwards.
 */
export const inventory = pgTable("inventory", {
  sku: text("sku")
    .primaryKey()
    .references(() => variants.sku),
  // bigint, as the StockDO's own counters (SQLite integers are 64-bit): adjustments can take a SKU past 2^31.
  initial: bigint("initial", { mode: "number" }).notNull(),
  adjusted: bigint("adjusted", { mode: "number" }).notNull().default(0),
  onHand: bigint("on_hand", { mode: "number" }).notNull(),
  sold: bigint("sold", { mode: "number" }).notNull().default(0),
  seq: bigint("seq", { mode: "number" }).notNull().default(0),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

export type CategoryRow = typeof categories.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type VariantRow = typeof variants.$inferSelect;
export type InventoryRow = typeof inventory.$inferSelect;

/**
 * One row (id 1): the catalog's content version, bumped by every admin write
 * to products or categories. Edge caches key documents by it, so one small
 * read per colo and TTL (not one per product) keeps them honest across colos.
 */
export const catalogMeta = pgTable("catalog_meta", {
  id: integer("id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull().default(0),
});

/**
 * Which product each catalog version changed (null: none, e.g. a new
 * category), written in the same statement as the version bump. Caches use
 * it to keep a product's document across versions that did not touch it:
 * an admin write then costs one reload of that product, not of every one.
 */
export const catalogChanges = pgTable("catalog_changes", {
  version: bigint("version", { mode: "number" }).primaryKey(),
  productId: text("product_id"),
});
