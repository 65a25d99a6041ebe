/**
 * Opaque list cursors. A cursor is the last id a page returned, base64url
 * encoded so clients treat it as opaque; the next page is `id > cursor`
 * (or `<` for newest-first lists), which never skips or repeats a row while
 * others are inserted or deleted.
 */
export function encodeCursor(lastId: string): string {
  return btoa(lastId).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Returns the id inside a cursor, or null when the cursor is not one of this
 * list's: its id must carry the list's prefix (`prd`, `ord`, ...), so a
 * cursor from another list (a users cursor on products) is refused rather
 * than read as a place in this one.
 */
export function decodeCursor(cursor: string, prefix: string): string | null {
  const id = unwrap(cursor);
  return id !== null && /^[a-z]+_[0-9a-f]{28}$/.test(id) && id.startsWith(`${prefix}_`) ? id : null;
}

/**
 * A cursor for a newest-first list keyed by a sequence number within one
 * scope (a SKU's stock ledger): the last number a page returned, and the scope,
 * so another SKU's ledger refuses it rather than read it as a place in its own.
 */
export function encodeSequenceCursor(seq: number, scope: string): string {
  return encodeCursor(`seq_${seq}_${scope}`);
}

/**
 * Returns the sequence number inside a cursor of `scope`, or null when the
 * cursor is not one of ours or names another scope. (No release wrote
 * unscoped ledger cursors: the ledger came after the last one.)
 */
export function decodeSequenceCursor(cursor: string, scope: string): number | null {
  const match = /^seq_([1-9][0-9]{0,14})_(.+)$/s.exec(unwrap(cursor) ?? "");
  return match && match[2] === scope ? Number(match[1]) : null;
}

/** A cursor for a newest-first list keyed by time (to the millisecond), then an id not of ours (a queue message's). */
export function encodeTimeCursor(at: Date, id: string): string {
  return encodeCursor(`t_${at.getTime()}_${id}`);
}

/** The time and id inside a cursor, or null when the cursor is not one of ours. */
export function decodeTimeCursor(cursor: string): { at: Date; id: string } | null {
  const match = /^t_([0-9]{1,15})_([\x21-\x7e]{1,200})$/.exec(unwrap(cursor) ?? "");
  return match ? { at: new Date(Number(match[1])), id: match[2]! } : null;
}

/** The text inside a cursor (base64url), or null when it is not base64url. */
function unwrap(cursor: string): string | null {
  try {
    const padded = cursor.replaceAll("-", "+").replaceAll("_", "/");
    return atob(padded + "=".repeat((4 - (padded.length % 4)) % 4));
  } catch {
    return null;
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Given `limit + 1` fetched rows, returns the page and its next cursor (by default the last row's id). */
export function toPage<T extends { id: string }>(rows: T[], limit: number, cursorOf: (last: T) => string = (last) => encodeCursor(last.id)): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}
