/**
 * The catalog documents this isolate served last, as JSON, so a warm read
 * costs no Cache API lookup. Keys carry the catalog version
 * (catalog-version.ts), so an entry is never stale, only unused.
 *
 * Bounded by the documents' total length (JSON characters), least recently
 * used out first. 8M characters is 8-16 MB of the isolate's 128 MB: every
 * product document and price lookup of a 3,000-SKU catalog fits. It was 2,000
 * entries dropped in insertion order: a shop of 3,000 SKUs overran it with
 * price lookups alone, and lookups read in a cycle missed every time
 * (tests/unit/catalog-cache.test.ts).
 */
const MEMORY_CHARS = 8_000_000;
const memoDocs = new Map<string, string>();
let memoChars = 0;

function forget(key: string): void {
  const body = memoDocs.get(key);
  if (body === undefined) return;
  memoDocs.delete(key);
  memoChars -= body.length;
}

/** Keeps `body` at `key`, dropping the least recently used documents beyond the bound. */
export function remember(key: string, body: string): void {
  forget(key);
  if (body.length > MEMORY_CHARS) return;
  memoDocs.set(key, body);
  memoChars += body.length;
  while (memoChars > MEMORY_CHARS) {
    const oldest = memoDocs.keys().next().value;
    if (oldest === undefined) break;
    forget(oldest);
  }
}

/** The remembered document at `key`, now the most recently used. */
export function recall(key: string): string | undefined {
  const body = memoDocs.get(key);
  if (body === undefined) return undefined;
  memoDocs.delete(key);
  memoDocs.set(key, body);
  return body;
}
