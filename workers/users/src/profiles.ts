import { desc, eq, lt, asc, and } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { addresses, users } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import { decodeCursor, toPage, type Page } from "../../../shared/pagination.ts";
import type { Address, AddressInput, UpdateMeInput, User } from "../../../shared/schemas/users.ts";
import { toUser } from "./accounts.ts";

export async function getUser(db: Database, id: string): Promise<Result<User>> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ? ok(toUser(row)) : fail("NOT_FOUND", "User not found.");
}

/** Changes the display name only; role and email are not reachable from here. */
export async function updateProfile(db: Database, id: string, input: UpdateMeInput): Promise<Result<User>> {
  const [row] = await db.update(users).set({ name: input.name, updatedAt: new Date() }).where(eq(users.id, id)).returning();
  return row ? ok(toUser(row)) : fail("NOT_FOUND", "User not found.");
}

/** Newest users first, keyset-paginated by id. */
export async function listUsers(db: Database, limit: number, cursor?: string): Promise<Result<Page<User>>> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (after === null) return fail("VALIDATION_FAILED", "Invalid cursor.", [{ path: "cursor", message: "Invalid cursor" }]);
  const rows = await db
    .select()
    .from(users)
    .where(after ? lt(users.id, after) : undefined)
    .orderBy(desc(users.id))
    .limit(limit + 1);
  const page = toPage(rows, limit);
  return ok({ items: page.items.map(toUser), nextCursor: page.nextCursor });
}

function toAddress(row: typeof addresses.$inferSelect): Address {
  return { id: row.id, name: row.name, line1: row.line1, line2: row.line2, city: row.city, postalCode: row.postalCode, country: row.country };
}

export async function listAddresses(db: Database, userId: string): Promise<Address[]> {
  const rows = await db.select().from(addresses).where(eq(addresses.userId, userId)).orderBy(asc(addresses.id)).limit(100);
  return rows.map(toAddress);
}

export async function addAddress(db: Database, userId: string, input: AddressInput): Promise<Address> {
  const [row] = await db
    .insert(addresses)
    .values({ id: newId("adr"), userId, ...input, line2: input.line2 ?? null })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toAddress(row);
}

export async function getAddress(db: Database, userId: string, id: string): Promise<Result<Address>> {
  const [row] = await db.select().from(addresses).where(and(eq(addresses.userId, userId), eq(addresses.id, id))).limit(1);
  return row ? ok(toAddress(row)) : fail("NOT_FOUND", "Address not found.");
}
