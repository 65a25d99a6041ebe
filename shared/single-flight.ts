/**
 * Joining another request's load, safely for workerd.
 *
 * Concurrent misses of one cache key should share one load (a flash sale must
 * not open a Postgres connection per shopper). But in workerd a promise's I/O
 * belongs to the request that started it: if that request is cancelled (its
 * caller timed out or went away), the I/O never completes and every request
 * that joined would hang until the runtime kills it. So:
 * - the starter keeps the load alive with its `waitUntil`;
 * - a joiner waits at most `joinTimeoutMs` for it, then loads on its own.
 */
export async function joinOrLoad<T>(shared: Promise<T>, load: () => Promise<T>, joinTimeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const own = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => load().then(resolve, reject), joinTimeoutMs);
  });
  try {
    return await Promise.race([shared, own]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * Longer than the gateway's read timeout: a joiner loads on its own only as a
 * last resort against a load that will never settle. A short value would turn
 * every slow moment into a stampede of duplicate loads.
 */
export const JOIN_TIMEOUT_MS = 8_000;

/** One load per key at a time; see joinOrLoad for how joiners stay safe. */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, { promise: Promise<T>; startedAt: number }>();

  constructor(
    private readonly joinTimeoutMs = JOIN_TIMEOUT_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * After an invalidation: loads in flight still answer their own callers,
   * but nobody joins them any more (they may carry what was just replaced).
   */
  detach(): void {
    this.inFlight.clear();
  }

  /** True while a load of `key` is in flight. */
  busy(key: string): boolean {
    return this.inFlight.has(key);
  }

  /**
   * `load`'s value, or that of the load of `key` in flight when it started
   * less than `maxJoinAgeMs` ago. An older one may have read what a write
   * since replaced (a write elsewhere, which `detach` in this isolate never
   * hears of), so a cache whose answers must be at most so old does not join
   * it: it starts a load of its own, which later callers join instead.
   */
  run(key: string, load: () => Promise<T>, waitUntil?: (p: Promise<unknown>) => void, maxJoinAgeMs = Number.POSITIVE_INFINITY): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending && this.now() - pending.startedAt < maxJoinAgeMs) return joinOrLoad(pending.promise, load, this.joinTimeoutMs);
    const startedAt = this.now();
    const started = load().finally(() => {
      if (this.inFlight.get(key)?.promise === started) this.inFlight.delete(key);
    });
    this.inFlight.set(key, { promise: started, startedAt });
    waitUntil?.(started.catch(() => undefined));
    return started;
  }
}
