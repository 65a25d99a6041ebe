/**
 * Random ids: record ids, request ids, and trace and span ids.
 *
 * Their random bytes come from one buffer of `crypto.getRandomValues` output
 * per isolate, refilled when used up; each byte is used once. Asking the
 * runtime for 8 or 16 bytes at a time (and `crypto.randomUUID` for a request
 * id) cost a cached product read about 0.025 ms of workerd CPU, an eighth of
 * the whole read; from the buffer the ids cost nothing measurable
 * (load/FINDINGS.md, twelfth session). The bytes are the same CSPRNG output
 * either way. The buffer is filled on first use, never at start-up, where
 * Workers refuse to generate random values.
 */
const POOL = new Uint8Array(4096);
let used = POOL.length;

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** `bytes` (at most 4096) random bytes in lower-case hex. */
export function randomHex(bytes: number): string {
  if (used + bytes > POOL.length) {
    crypto.getRandomValues(POOL);
    used = 0;
  }
  let out = "";
  for (let end = used + bytes; used < end; used++) out += HEX[POOL[used]!];
  return out;
}

/** A random (version 4, RFC 9562) UUID in its lower-case text form. */
export function randomUuid(): string {
  const h = randomHex(16);
  const variant = "89ab"[Number.parseInt(h[16]!, 16) & 3];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
}

/**
 * Time-ordered opaque ids (`prefix_` + 12 hex ms timestamp + 16 hex random).
 * Ordering by id is ordering by creation, which makes keyset (cursor)
 * pagination stable while rows are added or removed.
 */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${now.toString(16).padStart(12, "0")}${randomHex(8)}`;
}

/** The creation time `newId` put into `id` (ms since the epoch), or null for an id it did not make. */
export function timeOfId(id: string): number | null {
  const m = /^[a-z]+_([0-9a-f]{12})[0-9a-f]{16}$/.exec(id);
  return m ? Number.parseInt(m[1]!, 16) : null;
}
