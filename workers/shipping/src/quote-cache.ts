import { SingleFlight } from "../../../shared/single-flight.ts";
import type { QuoteRow } from "./options.ts";
import { errorText } from "../../../shared/observability.ts";

/**
 * Checkout prices shipping on every order; the rows it needs (an option's
 * rate bands and whether it serves a country) change only by admin action.
 * They are kept in this isolate for QUOTE_TTL_MS so the checkout path does
 * not open a Postgres connection per order:
 * - concurrent misses of one key share one load (a flash sale would
 *   otherwise open a connection per shopper the moment the entry expires);
 * - when a reload fails, the last rows keep pricing (stale-if-error) rather
 *   than failing checkouts while Postgres is briefly out of connections;
 * - admin changes made through this isolate clear it at once; other
 *   isolates see them within the TTL.
 */
export const QUOTE_TTL_MS = 1000;
const MAX_ENTRIES = 1000;
const rowsByKey = new Map<string, { loadedAt: number; rows: QuoteRow[] }>();
const loads = new SingleFlight<QuoteRow[]>();
let generation = 0;

export async function cachedQuoteRows(optionId: string, country: string, load: () => Promise<QuoteRow[]>, waitUntil: (p: Promise<unknown>) => void): Promise<QuoteRow[]> {
  const key = `${optionId}\u0000${country}`;
  const hit = rowsByKey.get(key);
  if (hit && Date.now() - hit.loadedAt < QUOTE_TTL_MS) return hit.rows;
  return loads.run(key, () => reload(key, load, hit?.rows), waitUntil);
}

async function reload(key: string, load: () => Promise<QuoteRow[]>, stale: QuoteRow[] | undefined): Promise<QuoteRow[]> {
  const loadedAt = Date.now();
  const startedAt = generation;
  try {
    const rows = await load();
    if (startedAt === generation) {
      if (rowsByKey.size >= MAX_ENTRIES) rowsByKey.clear();
      rowsByKey.set(key, { loadedAt, rows });
    }
    return rows;
  } catch (err) {
    if (!stale) throw err;
    console.error(JSON.stringify({ level: "error", worker: "shipping", msg: "shipping rates reload failed; pricing with the last ones", error: errorText(err) }));
    return stale;
  }
}

/** After a zone or option change: nothing loaded before it is kept. */
export function clearQuoteCache(): void {
  generation++;
  loads.detach(); // a load that started before the change may carry the old rates
  rowsByKey.clear();
}
