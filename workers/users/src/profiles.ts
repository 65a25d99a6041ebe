import { desc, eq, lt, asc, and, count } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { addresses, users } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import { decodeCursor, toPage, type Page } from "../../../shared/pagination.ts";
import { MAX_ADDRESSES, type Address, type AddressInput, type AddressPatch, type UpdateMeInput, type User } from "../../../shared/schemas/users.ts";
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
/** Newest first; with `email` (already lower-cased by the gateway's schema) only that account. */
export async function listUsers(db: Database, limit: number, cursor?: string, email?: string): Promise<Result<Page<User>>> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor, "usr");
  if (after === null) return fail("VALIDATION_FAILED", "Invalid cursor.", [{ path: "cursor", message: "Invalid cursor" }]);
  const rows = await db
    .select()
    .from(users)
    .where(and(after ? lt(users.id, after) : undefined, email === undefined ? undefined : eq(users.email, email)))
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

/** Saves an address with no limit: the previous release's gateway's call (`addAddress`); `saveAddress` inside its check. */
export async function addAddress(db: Pick<Database, "insert">, userId: string, input: AddressInput): Promise<Address> {
  const [row] = await db
    .insert(addresses)
    .values({ id: newId("adr"), userId, ...input, line2: input.line2 || null }) // "" (or spaces, trimmed) is no line2, as left out
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toAddress(row);
}

/**
 * Saves an address unless the account has MAX_ADDRESSES already (409
 * CONFLICT). The user's row is locked for the count and the insert, so two
 * saves at once can not both take the last place.
 */
export async function saveAddress(db: Database, userId: string, input: AddressInput): Promise<Result<Address>> {
  return db.transaction(async (tx) => {
    const [account] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
    // A valid token of an account that no longer exists: nothing to save the address to (it was a 500).
    if (!account) return fail("UNAUTHENTICATED", "This account no longer exists.");
    const [saved] = await tx.select({ n: count() }).from(addresses).where(eq(addresses.userId, userId));
    if ((saved?.n ?? 0) >= MAX_ADDRESSES) return fail("CONFLICT", `An account saves at most ${MAX_ADDRESSES} addresses: delete one to save another.`);
    return ok(await addAddress(tx, userId, input));
  });
}

/** Changes the named fields of one of the user's addresses; another user's is 404 like a missing one. */
export async function updateAddress(db: Database, userId: string, id: string, patch: AddressPatch): Promise<Result<Address>> {
  const [row] = await db
    .update(addresses)
    .set({ ...patch, ...(patch.line2 === undefined ? {} : { line2: patch.line2 || null }) })
    .where(and(eq(addresses.userId, userId), eq(addresses.id, id)))
    .returning();
  return row ? ok(toAddress(row)) : fail("NOT_FOUND", "Address not found.");
}

/** Deletes one of the user's addresses; another user's is 404 like a missing one. */
export async function deleteAddress(db: Database, userId: string, id: string): Promise<Result<null>> {
  const rows = await db.delete(addresses).where(and(eq(addresses.userId, userId), eq(addresses.id, id))).returning({ id: addresses.id });
  return rows.length > 0 ? ok(null) : fail("NOT_FOUND", "Address not found.");
}

export async function getAddress(db: Database, userId: string, id: string): Promise<Result<Address>> {
  const [row] = await db.select().from(addresses).where(and(eq(addresses.userId, userId), eq(addresses.id, id))).limit(1);
  return row ? ok(toAddress(row)) : fail("NOT_FOUND", "Address not found.");
}
