/**
 * A `SqlStorage` stand-in that runs every statement on `real` and adds up the
 * rows SQLite read for it (`cursor.rowsRead`), so a Durable Object test can
 * say "this reads a handful of rows however large the table is" (an index is
 * used) instead of timing it. Results are materialised so the count is final;
 * callers use `toArray()` and `one()` as on a real cursor.
 */
export function countingSql(real: SqlStorage): { sql: SqlStorage; rowsRead: () => number } {
  let read = 0;
  const sql = {
    exec: (query: string, ...bindings: SqlStorageValue[]) => {
      const cursor = real.exec(query, ...bindings);
      const rows = cursor.toArray();
      read += cursor.rowsRead;
      return { toArray: () => rows, one: () => rows[0] };
    },
  } as unknown as SqlStorage;
  return { sql, rowsRead: () => read };
}
