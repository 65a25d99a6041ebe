import { captureException } from "@sentry/cloudflare";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { deadLetters } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { DomainEventSchema } from "../../../shared/events.ts";
import { errorText } from "../../../shared/observability.ts";
import { applyEvents } from "./consumers.ts";
import { logOnlyProvider } from "./email.ts";
import { consumeTraced } from "./queue.ts";
import { deadLetterView, type DeadLetterView } from "./reports.ts";

/** What a replay needs of the events Worker's env: the orders Worker (refunds) and the version for its log line. */
export type ReplayEnv = Pick<EventsEnv, "ORDERS"> & { CF_VERSION_METADATA?: { id: string } };

/** Issues a 409 names at most, so a large body that is no event still makes a short answer. */
const MAX_ISSUES = 5;

/**
 * Applies a dead letter's body as the domain event it holds, through the
 * queue's own consumer path (`consumeTraced` + `applyEvents`: consumers
 * deduplicate by event id, so replaying an event that was applied after all,
 * or replaying twice, changes nothing), then records the replay.
 * `replayed_at` keeps the first successful replay's time; a later replay
 * applies again (a no-op) and answers the same time.
 * - NOT_FOUND: no dead letter has `id`.
 * - CONFLICT: its body is not a domain event this release can apply (a poison
 *   message, a newer producer's event); nothing applied, not marked.
 * - SERVICE_UNAVAILABLE: Postgres or the orders Worker failed (the outage that
 *   dead-lettered the event, say); not marked, so the admin retries later.
 */
export async function replayDeadLetter(db: Database, env: ReplayEnv, id: string): Promise<Result<DeadLetterView>> {
  let step = "reading the dead letter";
  try {
    const [letter] = await db.select().from(deadLetters).where(eq(deadLetters.id, id)).limit(1);
    if (!letter) return fail("NOT_FOUND", "No such dead letter.");
    const parsed = DomainEventSchema.safeParse(letter.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, MAX_ISSUES).map((i) => `${i.path.length > 0 ? i.path.join(".") : "body"}: ${i.message}`);
      return fail("CONFLICT", `The dead letter's body is not a domain event this release can apply (${issues.join("; ")}); nothing was replayed.`);
    }
    step = "applying its event";
    await consumeTraced(parsed.data, env, (e) => applyEvents(db, [e], logOnlyProvider, env.ORDERS));
    step = "recording the replay";
    const [marked] = await db
      .update(deadLetters)
      .set({ replayedAt: sql`coalesce(${deadLetters.replayedAt}, now())` })
      .where(eq(deadLetters.id, id))
      .returning();
    console.log(JSON.stringify({ level: "info", worker: "events", msg: "dead letter replayed", deadLetterId: id, eventId: parsed.data.id, eventType: parsed.data.type }));
    return ok(deadLetterView(marked ?? letter));
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "events", msg: "dead letter not replayed", deadLetterId: id, step, error: errorText(err) }));
    // Answered 503 (the usual cause is the outage that dead-lettered the event), yet reported: it may be a bug.
    captureException(err);
    return fail("SERVICE_UNAVAILABLE", `The dead letter could not be replayed (failed ${step}): a service it needs is unavailable; retry later.`);
  }
}
