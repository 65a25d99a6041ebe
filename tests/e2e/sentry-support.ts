import { inject } from "vitest";

/** The parts of a Sentry event the tests read, as the local envelope receiver (tests/harness/sentry-receiver.ts) keeps them. */
export interface SentryEvent {
  release?: string;
  level?: string;
  tags?: Record<string, string>;
  user?: Record<string, unknown>;
  request?: { headers?: Record<string, string>; data?: unknown };
  exception?: { values?: { value?: string }[] };
  message?: string;
}

/** Every event the local receiver has got so far. */
export async function sentryEvents(): Promise<SentryEvent[]> {
  return (await (await fetch(`${inject("sentryUrl")}/events`)).json()) as SentryEvent[];
}

/** Polls the local envelope receiver until an event matching `match` arrives. */
export async function waitForEvent(match: (e: SentryEvent) => boolean): Promise<SentryEvent> {
  for (let i = 0; i < 50; i++) {
    const found = (await sentryEvents()).find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no matching Sentry event arrived");
}
