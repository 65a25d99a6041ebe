/**
 * PBKDF2-SHA256 password hashing through WebCrypto. Production workerd rejects
 * more than 100,000 iterations, so that is both our cost and our ceiling; the
 * parameters are stored with each hash so they can be raised later.
 */
export const PBKDF2_ITERATIONS = 100_000;
export const PBKDF2_MAX_ITERATIONS = 100_000;
export const PASSWORD_ALGO = "pbkdf2-sha256";

export interface PasswordHash {
  algo: typeof PASSWORD_ALGO;
  iterations: number;
  salt: string;
  hash: string;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  if (iterations > PBKDF2_MAX_ITERATIONS) throw new RangeError(`PBKDF2 iterations above ${PBKDF2_MAX_ITERATIONS}`);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

/**
 * The password as hashed: Unicode NFKC, as NIST SP 800-63B (5.1.1.2) asks, so
 * `é` typed as one code point or as `e` plus a combining accent (keyboards
 * and operating systems differ) is the same password.
 */
function normalised(password: string): string {
  return password.normalize("NFKC");
}

/** Hashes a password (`normalised`) with a fresh 16-byte salt. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(normalised(password), salt, iterations);
  return { algo: PASSWORD_ALGO, iterations, salt: toBase64(salt), hash: toBase64(hash) };
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

async function matches(password: string, stored: Omit<PasswordHash, "algo">): Promise<boolean> {
  const actual = await derive(password, fromBase64(stored.salt), stored.iterations);
  return constantTimeEqual(actual, fromBase64(stored.hash));
}

/**
 * Checks a password against a stored hash in constant time. A hash made
 * before passwords were normalised was derived from the text as typed, so a
 * password that normalisation changes is also tried as typed; that costs a
 * second derivation whether or not the account exists (`DUMMY_HASH`).
 */
export async function verifyPassword(password: string, stored: Omit<PasswordHash, "algo"> & { algo: string }): Promise<boolean> {
  if (stored.algo !== PASSWORD_ALGO) return false;
  const normal = normalised(password);
  if (await matches(normal, stored)) return true;
  return normal !== password && (await matches(password, stored));
}

/** A fixed hash to verify against when the email is unknown, so both paths cost the same. */
export const DUMMY_HASH: PasswordHash = {
  algo: PASSWORD_ALGO,
  iterations: PBKDF2_ITERATIONS,
  salt: "AAAAAAAAAAAAAAAAAAAAAA==",
  hash: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
};
