// One module per domain; drizzle-kit reads this index to generate migrations/.
export * from "./users.ts";
