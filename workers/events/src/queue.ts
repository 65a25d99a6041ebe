import { captureMessage, withScope } from "@sentry/cloudflare";
import { openDb, type Database } from "../../../shared/db/client.ts";
import { deadLetters } from "../../../shared/db/schema/index.ts";
import { DomainEventSchema, type DomainEvent } from "../../../shared/events.ts";
import { traceArgOf } from "../../../shared/trace.ts";
import { tracedMethod } from "../../../shared/traced-calls.ts";
import { applyEvents } from "./consumers.ts";
import { logOnlyProvider } from "./email.ts";
import { isDeadLetterQueue, looksLikeEvent, retryLater } from "./retries.ts";
import { errorText } from "../../../shared/observability.ts";

/**
 * Consumes domain events (at-least-once; consumers deduplicate by event id).
 * A message that cannot be applied is retried with a growing delay
 * (`retryLater`); after the queue's max_retries it lands on the dead-letter
 * queue, whose consumer stores it in `dead_letters` for admins. A body that
 * is not an event at all is retried at once: no wait can make it one.
 */
export async function handleBatch(batch: MessageBatch<unknown>, env: EventsEnv): Promise<void> {
  const { db, pool } = openDb(env);
  try {
    if (isDeadLetterQueue(batch.queue)) {
      await storeDeadLetters(db, batch);
      return;
    }
    const parsed: { message: Message<unknown>; event: DomainEvent }[] = [];
    for (const message of batch.messages) {
      const r = DomainEventSchema.safeParse(message.body);
      if (r.success) parsed.push({ message, event: r.data });
      else {
        console.error(JSON.stringify({ level: "error", worker: "events", msg: "malformed event", messageId: message.id, attempts: message.attempts }));
        if (looksLikeEvent(message.body)) retryLater(message);
        else message.retry({ delaySeconds: 0 });
      }
    }
    // The whole batch in a few statements; should any fail, each event on its own, so one bad event retries alone.
    if (parsed.length > 1 && (await appliedTogether(db, parsed.map((p) => p.event), env))) {
      for (const p of parsed) p.message.ack();
      return;
    }
    for (const { message, event } of parsed) {
      try {
        await consumeTraced(event, env, (e) => applyEvents(db, [e], logOnlyProvider, env.ORDERS));
        message.ack();
      } catch (err) {
        console.error(JSON.stringify({ level: "error", worker: "events", msg: "event not applied, will retry", eventId: event.id, attempts: message.attempts, error: errorText(err) }));
        retryLater(message);
      }
    }
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/**
 * Stores dead letters for admins (`GET /v1/admin/dead-letters`): the batch in
 * one statement, or, should that fail, each on its own, so one letter
 * Postgres refuses does not hold back the others. A letter not stored is
 * retried with a growing delay. The dead-letter queue has none of its own,
 * so each failure logs the letter's body: one dropped after its last retry
 * can still be found in the logs.
 */
async function storeDeadLetters(db: Database, batch: MessageBatch<unknown>): Promise<void> {
  const row = (message: Message<unknown>) => ({ id: message.id, queue: batch.queue, body: message.body ?? null, attempts: message.attempts });
  try {
    const stored = new Set((await db.insert(deadLetters).values(batch.messages.map(row)).onConflictDoNothing().returning({ id: deadLetters.id })).map((r) => r.id));
    batch.ackAll();
    // A redelivered letter, stored already, was reported then.
    for (const message of batch.messages) if (stored.has(message.id)) reportDeadLetter(batch.queue, message);
    return;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "events", msg: "storing dead letters failed, storing them one by one", queue: batch.queue, letters: batch.messages.length, error: errorText(err) }));
  }
  for (const message of batch.messages) {
    try {
      const stored = await db.insert(deadLetters).values(row(message)).onConflictDoNothing().returning({ id: deadLetters.id });
      message.ack();
      if (stored.length > 0) reportDeadLetter(batch.queue, message);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", worker: "events", msg: "dead letter not stored, will retry", queue: batch.queue, messageId: message.id, attempts: message.attempts, body: message.body ?? null, error: errorText(err) }));
      retryLater(message);
    }
  }
}

/**
 * A stored dead letter is work nothing will do until an admin replays it (a
 * refund that did not cancel its order, say), so it is an error on call must
 * hear of: a log line naming it and a Sentry event (when a DSN is set), by its
 * id, queue and the event's id, type and order, never its body.
 */
function reportDeadLetter(queue: string, message: Message<unknown>): void {
  const body = (looksLikeEvent(message.body) ? message.body : {}) as { id?: string; type?: string; data?: { orderId?: unknown } };
  const orderId = typeof body.data?.orderId === "string" ? body.data.orderId : undefined;
  const tags = { queue, deadLetterId: message.id, ...(body.id ? { eventId: body.id, eventType: body.type } : {}), ...(orderId ? { orderId } : {}) };
  console.error(JSON.stringify({ level: "error", worker: "events", msg: "dead letter stored; replay it once its cause is fixed (POST /v1/admin/dead-letters/{id}/replay)", ...tags }));
  withScope((scope) => {
    scope.setTags(tags);
    captureMessage(`Dead letter stored: ${body.type ?? "a body that is no event"}`, "error");
  });
}

/**
 * Applies `events` as one batch (`applyEvents`); each event still gets its
 * own log line under its own trace, timed over the batch. False when the
 * batch failed (nothing is acknowledged; the caller goes event by event).
 */
async function appliedTogether(db: Parameters<typeof applyEvents>[0], events: DomainEvent[], env: EventsEnv): Promise<boolean> {
  const applied = applyEvents(db, events, logOnlyProvider, env.ORDERS);
  const outcomes = await Promise.allSettled(events.map((e) => consumeTraced(e, env, () => applied)));
  if (outcomes.every((o) => o.status === "fulfilled")) return true;
  console.error(JSON.stringify({ level: "error", worker: "events", msg: "batch not applied, applying events one by one", events: events.length, error: String(outcomes.find((o) => o.status === "rejected")?.reason) }));
  return false;
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
