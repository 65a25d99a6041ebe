import { openDb } from "../../../shared/db/client.ts";
import { deadLetters } from "../../../shared/db/schema/index.ts";
import { DomainEventSchema, type DomainEvent } from "../../../shared/events.ts";
import { traceArgOf } from "../../../shared/trace.ts";
import { tracedMethod } from "../../../shared/traced-calls.ts";
import { notify, recordSales } from "./consumers.ts";
import { logOnlyProvider } from "./email.ts";

/**
 * Consumes domain events (at-least-once; consumers deduplicate by event id).
 * A message that cannot be parsed or applied is retried; after the queue's
 * max_retries it lands on the dead-letter queue, whose consumer stores it in
 * `dead_letters` for admins.
 */
export async function handleBatch(batch: MessageBatch<unknown>, env: EventsEnv): Promise<void> {
  const { db, pool } = openDb(env);
  try {
    if (batch.queue.endsWith("-dlq")) {
      for (const message of batch.messages) {
        await db
          .insert(deadLetters)
          .values({ id: message.id, queue: batch.queue, body: message.body ?? null, attempts: message.attempts })
          .onConflictDoNothing();
        message.ack();
      }
      return;
    }
    for (const message of batch.messages) {
      const parsed = DomainEventSchema.safeParse(message.body);
      if (!parsed.success) {
        console.error(JSON.stringify({ level: "error", worker: "events", msg: "malformed event", messageId: message.id, attempts: message.attempts }));
        message.retry();
        continue;
      }
      try {
        await consumeTraced(parsed.data, env, async (event) => {
          await notify(db, event, logOnlyProvider);
          await recordSales(db, event);
        });
        message.ack();
      } catch (err) {
        console.error(JSON.stringify({ level: "error", worker: "events", msg: "event not applied, will retry", eventId: parsed.data.id, error: String(err) }));
        message.retry();
      }
    }
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/**
 * Runs `apply` for one event under the trace that produced it (the event's
 * `trace`), with a log line of its own (`method: "queue:<type>"`) whose
 * parent span is the producer's. An event without a trace (rebuilt by an
 * alarm) is part of the batch's trace, logged by the queue call's line.
 */
export async function consumeTraced(event: DomainEvent, env: { CF_VERSION_METADATA?: { id: string } }, apply: (event: DomainEvent) => Promise<void>): Promise<void> {
  const traced = tracedMethod(apply, `queue:${event.type}`, { worker: "events", version: () => env.CF_VERSION_METADATA?.id ?? "" });
  const args: unknown[] = event.trace ? [event, traceArgOf(event.trace)] : [event];
  await (traced as (...a: unknown[]) => Promise<void>)(...args);
}
