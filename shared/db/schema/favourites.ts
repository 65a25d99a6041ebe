import { index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * A user's favourite products. The composite key makes PUT idempotent (the
 * first `addedAt` is kept). No foreign key to products: the catalog owns them
 * and deleted products are filtered at read time through the catalog Worker.
 */
export const favourites = pgTable(
  "favourites",
  {
    userId: text("user_id").notNull(),
    productId: text("product_id").notNull(),
    addedAt: timestamp("added_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "favourites_pk", columns: [t.userId, t.productId] }),
    index("favourites_user_added_idx").on(t.userId, t.addedAt),
  ],
);

export type FavouriteRow = typeof favourites.$inferSelect;
