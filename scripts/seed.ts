/**
 * Local seed: the admin account from API.md (SEED_ADMIN_EMAIL /
 * SEED_ADMIN_PASSWORD) and a demo catalog. Idempotent: re-running adds nothing.
 */
import { users } from "../shared/db/schema/index.ts";
import { newId } from "../shared/ids.ts";
import { hashPassword } from "../shared/password.ts";
import type { ScriptDb } from "./db.ts";

export const DEFAULT_ADMIN = { email: "admin@edgeshop.local", password: "admin-password" };

/** Creates the admin account unless its email exists. */
export async function seedAdmin(db: ScriptDb, email = DEFAULT_ADMIN.email, password = DEFAULT_ADMIN.password): Promise<void> {
  const pw = await hashPassword(password);
  const now = Date.now();
  await db
    .insert(users)
    .values({
      id: newId("usr", now),
      createdAt: new Date(now),
      updatedAt: new Date(now),
      email: email.toLowerCase(),
      name: "Admin",
      role: "admin",
      passwordAlgo: pw.algo,
      passwordIterations: pw.iterations,
      passwordSalt: pw.salt,
      passwordHash: pw.hash,
    })
    .onConflictDoNothing({ target: users.email });
}

/** Everything `npm start` seeds. */
export async function seedAll(db: ScriptDb): Promise<void> {
  await seedAdmin(db, process.env.SEED_ADMIN_EMAIL ?? DEFAULT_ADMIN.email, process.env.SEED_ADMIN_PASSWORD ?? DEFAULT_ADMIN.password);
}
