import { z } from "@hono/zod-openapi";
import { ListQuerySchema, singleLine } from "./common.ts";
import { isCountryCode } from "./iso-codes.ts";

export const RoleSchema = z.enum(["customer", "admin"]);

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: RoleSchema,
    createdAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("User");
export type User = z.infer<typeof UserSchema>;

const email = z.string().trim().toLowerCase().max(254).pipe(z.email());
/**
 * A new account's email also keeps RFC 5321's local part (before the `@`) of
 * at most 64 characters; login takes any `email`, so accounts saved before
 * this check still log in.
 */
const newEmail = email.refine((e) => e.lastIndexOf("@") <= 64, "The part before the @ is at most 64 characters").openapi({ format: "email" });
const name = singleLine(200);

/** `GET /v1/users`: a page of users, or the one account with `email` (compared as login compares it). */
export const UserListQuerySchema = ListQuerySchema.extend({
  email: email.optional().openapi({ param: { name: "email", in: "query" }, description: "Only the account with this email (case-insensitive): a page of one user or none." }),
});

/** Characters (code points, so an emoji is one) of a password in the form it is hashed in (shared/password.ts). */
const hashedLength = (p: string) => [...p.normalize("NFKC")].length;

/**
 * A password's 8-128 characters are counted as it is hashed, in Unicode NFKC:
 * `é` sent as `e` plus a combining accent is one character, so one password is
 * never accepted in one form and refused in another. As sent it may hold up to
 * 512 UTF-16 code units (room for decomposed accents).
 */
const newPassword = z
  .string()
  .max(512, { error: "Too big: expected at most 512 UTF-16 code units as sent", abort: true })
  .superRefine((p, ctx) => {
    const n = hashedLength(p);
    if (n < 8) ctx.addIssue({ code: "custom", message: "Too small: expected at least 8 characters (counted in Unicode NFKC)" });
    if (n > 128) ctx.addIssue({ code: "custom", message: "Too big: expected at most 128 characters (counted in Unicode NFKC)" });
  })
  .openapi({ minLength: 8, maxLength: 128, description: "8-128 characters (code points), counted in Unicode NFKC form (a decomposed accent counts once); as sent, at most 512 UTF-16 code units" });

/**
 * A login's password is only bounded: a wrong one, whatever its length, is
 * 401 INVALID_CREDENTIALS, and an account whose password was hashed before
 * NFKC may hold one that folds to more than 128 characters.
 */
const givenPassword = z.string().min(1).max(512);

export const RegisterSchema = z
  .object({ email: newEmail, password: newPassword, name })
  .openapi("RegisterRequest", { example: { email: "ada@example.com", password: "correct horse", name: "Ada" } });
export type RegisterInput = z.infer<typeof RegisterSchema>;

export const LoginSchema = z
  .object({ email, password: givenPassword })
  .openapi("LoginRequest");
export type LoginInput = z.infer<typeof LoginSchema>;

export const AuthResultSchema = z.object({ user: UserSchema, token: z.string() }).openapi("AuthResult");

/** Only `name` can change here: role and email are refused, never applied. */
export const UpdateMeSchema = z.strictObject({ name }).openapi("UpdateMeRequest");
export type UpdateMeInput = z.infer<typeof UpdateMeSchema>;

/**
 * An ISO 3166-1 alpha-2 code, upper case as the standard writes it. `us` is
 * refused like any other malformed code, but its message names the fix.
 */
export const CountrySchema = z
  .string()
  .refine((s) => !/^[A-Za-z]{2}$/.test(s) || s === s.toUpperCase() || !isCountryCode(s.toUpperCase()), {
    error: (issue) => `Country codes are upper case: ${String(issue.input).toUpperCase()}`,
    abort: true,
  })
  .regex(/^[A-Z]{2}$/, { error: "ISO 3166-1 alpha-2 country code, e.g. US", abort: true })
  .refine(isCountryCode, "Not an ISO 3166-1 alpha-2 country code")
  .openapi({ example: "US" });

export const AddressInputSchema = z
  .object({
    name,
    line1: singleLine(200),
    line2: singleLine(200, 0).nullish(),
    city: singleLine(100),
    postalCode: singleLine(20),
    country: CountrySchema,
  })
  .openapi("AddressInput");
export type AddressInput = z.infer<typeof AddressInputSchema>;

/** A change to a saved address: any of its fields (`line2: null` clears it), at least one, nothing else. */
export const AddressPatchSchema = z
  .strictObject(AddressInputSchema.shape)
  .partial()
  .refine((p) => Object.keys(p).length > 0, "Name at least one field to change")
  .openapi("AddressPatch");
export type AddressPatch = z.infer<typeof AddressPatchSchema>;

/** How many addresses one account saves at most. */
export const MAX_ADDRESSES = 50;

export const AddressSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    line1: z.string(),
    line2: z.string().nullable(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  })
  .openapi("Address");
export type Address = z.infer<typeof AddressSchema>;
