/** Longest a message that failed waits for its next delivery (Cloudflare allows 12 hours). */
export const MAX_RETRY_DELAY_SECONDS = 300;

/**
 * Seconds until the next delivery of a message whose delivery number
 * `attempts` (1 the first time) failed: 2, 4, 8 ... capped at 5 minutes.
 * With `max_retries = 10` (wrangler.toml) that is about 18 minutes of
 * deliveries before a message is dead-lettered, so an outage of Postgres or
 * of the orders Worker shorter than that (a Neon compute restart, a rollout)
 * delays events without losing any. An immediate retry would only hit the
 * same outage again.
 */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, 2 ** Math.min(Math.max(attempts, 1), 16));
}

/** Hands `message` back to the queue for a later delivery, after its backoff. */
export function retryLater(message: Message<unknown>): void {
  message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
}

/**
 * True for a dead-letter queue: `edgeshop-events-dlq` locally and
 * `edgeshop-events-dlq-<env>` in staging and production (wrangler.toml).
 */
export function isDeadLetterQueue(queue: string): boolean {
  return /-dlq(?:-[a-z0-9]+)?$/.test(queue);
}

/**
 * True when a body this version could not parse still names an event (an
 * `id` and a `type`): a newer producer's event, say, that a newer consumer
 * (mid-rollout) can apply, so it is worth waiting for. Anything else can
 * never be applied and goes to the dead-letter queue without waiting.
 */
export function looksLikeEvent(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const { id, type } = body as { id?: unknown; type?: unknown };
  return typeof id === "string" && typeof type === "string";
}
