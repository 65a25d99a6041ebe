// One module per domain; drizzle-kit reads this index to generate migrations/.
export * from "./users.ts";
export * from "./shipping.ts";
export * from "./favourites.ts";
export * from "./payments.ts";
export * from "./orders.ts";
export * from "./catalog.ts";
export * from "./events.ts";
