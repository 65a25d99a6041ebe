import type { CloudflareOptions, ErrorEvent } from "@sentry/cloudflare";
import { RETRY_LATER_MARK } from "./errors.ts";

/** Bindings every Worker has for error reporting. */
export interface SentryEnv {
  /** Empty or unset disables reporting (local default). */
  SENTRY_DSN?: string;
  ENVIRONMENT?: string;
  CF_VERSION_METADATA: WorkerVersionMetadata;
}

const SECRET_KEYS = /pass(word)?|token|secret|authori[sz]ation|cookie|card|cvc|pan|address|line1|line2|postal/i;

/** Drops values under sensitive keys anywhere in an object tree. */
function scrub(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? "[Filtered]" : scrub(v, depth + 1);
  return out;
}

/** A failed query's parameters, as drizzle puts them in its message: customer data (an address, an email). */
const QUERY_PARAMS = /\nparams: [\s\S]*$/;

/** The text less a failed query's parameters: the SQL stays, the values go. */
function withoutQueryParams(text: string): string {
  return text.replace(QUERY_PARAMS, "\nparams: [Filtered]");
}

/** An error as a log line may carry it (`withoutQueryParams`). */
export function errorText(err: unknown): string {
  return withoutQueryParams(String(err));
}

/**
 * Removes what must never leave the system: request bodies, cookies, auth
 * headers, query strings, any password/token/address-like field, and a
 * failed query's parameters in an exception's message. Drops (null) an
 * expected condition thrown for a retry (`RetryLater`): not a bug, and a
 * provider outage would otherwise report it on every retry of every order.
 */
export function scrubEvent(event: ErrorEvent): ErrorEvent | null {
  if (event.exception?.values?.some((e) => e.value?.includes(RETRY_LATER_MARK))) return null;
  for (const exception of event.exception?.values ?? []) {
    if (exception.value) exception.value = withoutQueryParams(exception.value);
  }
  if (event.request) {
    delete event.request.data;
    delete event.request.cookies;
    delete event.request.query_string;
    if (event.request.headers) event.request.headers = scrub(event.request.headers) as Record<string, string>;
  }
  if (event.extra) event.extra = scrub(event.extra) as Record<string, unknown>;
  if (event.contexts) event.contexts = scrub(event.contexts) as typeof event.contexts;
  if (event.user) event.user = { id: event.user.id };
  return event;
}

/** Sentry options for a Worker: release = deployed version id, no default PII, scrubbed events. */
export function sentryOptions(env: SentryEnv): CloudflareOptions {
  return {
    dsn: env.SENTRY_DSN || undefined,
    enabled: Boolean(env.SENTRY_DSN),
    release: env.CF_VERSION_METADATA.id,
    environment: env.ENVIRONMENT ?? "dev",
    tracesSampleRate: 0,
    beforeSend: scrubEvent,
  };
}

/**
 * The Sentry-instrumented class when the Worker has a DSN, the plain one
 * otherwise. Sentry's wrappers cost CPU on every call even with reporting
 * disabled (measured on the gateway: ~0.35 ms per request, a third of a cached
 * product read); with no DSN there is nowhere to report to, so nothing is paid.
 * Works for WorkerEntrypoint and Durable Object classes: both are constructed
 * as `new Class(ctx, env)`.
 */
export function sentryWhenConfigured<C extends new (ctx: never, env: never) => object>(plain: C, instrumented: C): C {
  return new Proxy(plain, {
    construct(target, args, newTarget) {
      const env = args[1] as Partial<SentryEnv> | undefined;
      return Reflect.construct(env?.SENTRY_DSN ? instrumented : target, args, newTarget) as object;
    },
  });
}
