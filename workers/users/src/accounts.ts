import { eq } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { isUniqueViolation } from "../../../shared/db/client.ts";
import { users, type UserRow } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import { DUMMY_HASH, hashPassword, verifyPassword } from "../../../shared/password.ts";
import type { LoginInput, RegisterInput, User } from "../../../shared/schemas/users.ts";
import type { Role } from "../../../shared/auth.ts";

/** The public view of a user row: never the password fields. */
export function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: row.createdAt.toISOString() };
}

/** Creates an account; 409 EMAIL_TAKEN when the (lower-cased) email exists. */
export async function register(db: Database, input: RegisterInput, role: Role = "customer"): Promise<Result<User>> {
  const pw = await hashPassword(input.password);
  // The id and createdAt from one clock reading: a list ordered by id (newest first) is then ordered by createdAt too.
  const now = Date.now();
  try {
    const [row] = await db
      .insert(users)
      .values({
        id: newId("usr", now),
        createdAt: new Date(now),
        updatedAt: new Date(now),
        email: input.email,
        name: input.name,
        role,
        passwordAlgo: pw.algo,
        passwordIterations: pw.iterations,
        passwordSalt: pw.salt,
        passwordHash: pw.hash,
      })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return ok(toUser(row));
  } catch (err) {
    if (isUniqueViolation(err)) return fail("EMAIL_TAKEN", "An account with this email already exists.");
    throw err;
  }
}

/**
 * Checks credentials. Unknown email and wrong password give the same error,
 * and both run one full PBKDF2 derivation so their timing is comparable.
 */
export async function login(db: Database, input: LoginInput): Promise<Result<User>> {
  const [row] = await db.select().from(users).where(eq(users.email, input.email)).limit(1);
  const stored = row
    ? { algo: row.passwordAlgo, iterations: row.passwordIterations, salt: row.passwordSalt, hash: row.passwordHash }
    : DUMMY_HASH;
  const valid = await verifyPassword(input.password, stored);
  if (!row || !valid) return fail("INVALID_CREDENTIALS", "Email or password is incorrect.");
  return ok(toUser(row));
}
