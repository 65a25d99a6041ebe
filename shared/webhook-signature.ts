import type { z } from "@hono/zod-openapi";
import { fail, ok, type Result } from "./errors.ts";
import { unstorableIn } from "./unstorable-text.ts";

/**
 * The `edgeshop-signature` scheme every inbound webhook uses (payments,
 * carriers): `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
 * Stripe's design, with a 5-minute tolerance against replays. Stripe's own
 * `Stripe-Signature` is the same scheme and is checked by the same code: any
 * `v1` may match (several during a secret's rotation), other schemes (`v0`)
 * are ignored. The tolerance holds both ways (Stripe's libraries only refuse
 * an old timestamp): one from the future is a clock problem or a forgery.
 */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

/** Senders name one or two (Stripe: two while a secret is rolled); more only costs a full-body HMAC each. */
const MAX_SIGNATURES = 4;

/** `t=<unix seconds>,v1=<hex>[,v1=<hex>...]` -> parts; null when malformed or with more than MAX_SIGNATURES. */
function parseHeader(header: string): { t: number; v1: Uint8Array[] } | null {
  let t: number | null = null;
  const v1: Uint8Array[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) t = Number(value);
    if (key === "v1" && /^[0-9a-fA-F]{64}$/.test(value)) v1.push(Uint8Array.from(value.match(/../g) ?? [], (h) => parseInt(h, 16)));
  }
  return t === null || v1.length === 0 || v1.length > MAX_SIGNATURES ? null : { t, v1 };
}

/**
 * Checks a signature header within the tolerance. `crypto.subtle.verify`
 * compares in constant time, so a mismatch leaks nothing about the expected one.
 */
export async function verifySignature(secret: string, rawBody: string, header: string | null, nowSeconds: number): Promise<boolean> {
  if (!secret || !header) return false;
  const parsed = parseHeader(header);
  if (!parsed || Math.abs(nowSeconds - parsed.t) > WEBHOOK_TOLERANCE_SECONDS) return false;
  const key = await hmacKey(secret, "verify");
  const data = encoder.encode(`${parsed.t}.${rawBody}`);
  for (const sig of parsed.v1) {
    if (await crypto.subtle.verify("HMAC", key, sig, data)) return true;
  }
  return false;
}

/** Builds a valid header for a body (tests and local tooling play the sender with it). */
export async function signWebhook(secret: string, rawBody: string, nowSeconds: number): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), encoder.encode(`${nowSeconds}.${rawBody}`));
  return `t=${nowSeconds},v1=${Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Verifies first, parses second: nothing in an unsigned body is looked at,
 * and a signed but malformed body is 400 VALIDATION_FAILED with its paths.
 * `headerName` names the signature header in the refusal: Stripe's own
 * `Stripe-Signature` is this very scheme.
 */
export async function verifyAndParse<S extends z.ZodType>(
  schema: S,
  what: string,
  secret: string,
  rawBody: string,
  header: string | null,
  nowSeconds: number,
  headerName = "edgeshop-signature",
): Promise<Result<z.infer<S>>> {
  if (!(await verifySignature(secret, rawBody, header, nowSeconds))) {
    return fail("INVALID_SIGNATURE", `The ${headerName} header is missing, malformed, stale or does not match the body.`);
  }
  let json: unknown;
  try {
    // The signature covered a byte-order mark, if the sender put one first; JSON may ignore it (RFC 8259, 8.1).
    json = JSON.parse(rawBody.startsWith("\uFEFF") ? rawBody.slice(1) : rawBody);
  } catch {
    return fail("VALIDATION_FAILED", "The request body is not valid JSON.", [{ path: "body", message: "Malformed JSON" }]);
  }
  // Signed or not, text Postgres cannot hold is the sender's error, not a 500 at the insert.
  const unstorable = unstorableIn(json);
  if (unstorable) return fail("VALIDATION_FAILED", unstorable.detail, [unstorable.error]);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: i.path.length > 0 ? i.path.map(String).join(".") : "body", message: i.message }));
    return fail("VALIDATION_FAILED", `The ${what} is not valid.`, errors);
  }
  return ok(parsed.data);
}
