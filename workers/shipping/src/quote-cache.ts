import type { QuoteRow } from "./options.ts";

/**
 * Checkout prices shipping on every order; the rows it needs (an option's
 * rate bands and whether it serves a country) change only by admin action.
 * They are kept in this isolate for QUOTE_TTL_MS so the checkout path does
 * not open a Postgres connection per order. Admin changes made through this
 * isolate clear it at once; other isolates see them within the TTL.
 */
export const QUOTE_TTL_MS = 1000;
const MAX_ENTRIES = 1000;
const rowsByKey = new Map<string, { loadedAt: number; rows: QuoteRow[] }>();

export async function cachedQuoteRows(optionId: string, country: string, load: () => Promise<QuoteRow[]>): Promise<QuoteRow[]> {
  const key = `${optionId}\u0000${country}`;
  const hit = rowsByKey.get(key);
  if (hit && Date.now() - hit.loadedAt < QUOTE_TTL_MS) return hit.rows;
  const loadedAt = Date.now();
  const rows = await load();
  if (rowsByKey.size >= MAX_ENTRIES) rowsByKey.clear();
  rowsByKey.set(key, { loadedAt, rows });
  return rows;
}

/** After a zone or option change. */
export function clearQuoteCache(): void {
  rowsByKey.clear();
}
