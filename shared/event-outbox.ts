import type { DomainEvent } from "./events.ts";

/**
 * A transactional outbox for domain events inside a Durable Object's SQLite
 * storage. `add` runs in the same synchronous block as the state change, so
 * the event commits with it (or not at all); `flush` sends what is pending to
 * the queue and deletes it only after the queue accepted it. A crash between
 * the two sends it again later: delivery is at-least-once and consumers
 * deduplicate by event id.
 */
export class EventOutbox {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS event_outbox (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL)");
  }

  /** Records an event (idempotent by id). Call without an `await` between it and the state change. */
  add(event: DomainEvent): void {
    this.sql.exec("INSERT OR IGNORE INTO event_outbox (id, body, created_at) VALUES (?, ?, ?)", event.id, JSON.stringify(event), Date.now());
  }

  /** Events not yet accepted by the queue. */
  pending(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM event_outbox").one().n;
  }

  /** Sends up to 100 pending events; returns how many were sent. Throws if the queue refuses (retry later). */
  async flush(queue: Queue): Promise<number> {
    const rows = this.sql.exec<{ id: string; body: string }>("SELECT id, body FROM event_outbox ORDER BY created_at LIMIT 100").toArray();
    if (rows.length === 0) return 0;
    await queue.sendBatch(rows.map((r) => ({ body: JSON.parse(r.body) as DomainEvent })));
    for (const r of rows) this.sql.exec("DELETE FROM event_outbox WHERE id = ?", r.id);
    return rows.length;
  }
}
