/**
 * Time-ordered opaque ids (`prefix_` + 12 hex ms timestamp + 16 hex random).
 * Ordering by id is ordering by creation, which makes keyset (cursor)
 * pagination stable while rows are added or removed.
 */
export function newId(prefix: string, now = Date.now()): string {
  const time = now.toString(16).padStart(12, "0");
  const rand = new Uint8Array(8);
  crypto.getRandomValues(rand);
  const hex = Array.from(rand, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}_${time}${hex}`;
}
