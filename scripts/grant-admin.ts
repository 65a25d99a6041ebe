/**
 * `DATABASE_URL=<the environment's direct URL> npm run admin:grant -- --email someone@example.com`
 *
 * Makes a registered account an admin: the first admin of a new staging or
 * production environment (no endpoint changes a role, and only `npm start`
 * seeds one locally). The account registers through the API first; its next
 * login carries the role (a token's role holds until it expires).
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { users } from "../shared/db/schema/index.ts";
import { parseArgs, stringFlag } from "./release/args.ts";
import { withDb, withLocalProxy, type ScriptDb } from "./db.ts";

/** Gives the account with `email` (as the API stores it: trimmed, lower case) the admin role; false when there is none. */
export async function grantAdmin(db: ScriptDb, email: string): Promise<boolean> {
  const updated = await db.update(users).set({ role: "admin", updatedAt: new Date() }).where(eq(users.email, email.trim().toLowerCase())).returning({ id: users.id });
  return updated.length > 0;
}

async function main(): Promise<number> {
  const email = stringFlag(parseArgs(process.argv.slice(2), []), "email");
  const url = process.env.DATABASE_URL;
  if (!email || !url) {
    console.error("usage: DATABASE_URL=<the environment's direct URL> npm run admin:grant -- --email <a registered account's email>");
    return 1;
  }
  const found = await withLocalProxy(url, (proxy) => withDb(url, proxy, (db) => grantAdmin(db, email)));
  console.log(found ? `${email} is an admin from its next login` : `no account with email ${email}: register it through the API first`);
  return found ? 0 : 1;
}

// Run as a script, not when a test imports grantAdmin.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
