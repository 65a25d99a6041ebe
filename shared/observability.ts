import type { CloudflareOptions, ErrorEvent } from "@sentry/cloudflare";
import { RETRY_LATER_MARK } from "./errors.ts";

/** Bindings every Worker has for error reporting. */
export interface SentryEnv {
  /** Empty or unset disables reporting (local default). */
  SENTRY_DSN?: string;
  ENVIRONMENT?: string;
  CF_VERSION_METADATA: WorkerVersionMetadata;
}

/** Keys whose values never leave: whole words, so `span_id` or `company` keep theirs (a bare `pan` matched both). */
const SECRET_KEYS = /pass(word)?|token|secret|authori[sz]ation|cookie|card|cvc|^pan$|address|line1|line2|postal|email/i;
/**
 * Request headers a report keeps: the ones that say what kind of request it
 * was. Everything else goes, the client's IP address among them
 * (`cf-connecting-ip`, `x-forwarded-for`, `x-real-ip`, `true-client-ip`), and
 * whatever header a proxy adds next.
 */
const KEPT_HEADERS = new Set(["content-type", "content-length", "accept", "user-agent", "x-request-id", "traceparent", "cf-ray", "host"]);

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

/**
 * An error as a log line may carry it (`withoutQueryParams`), with its causes:
 * a failed query's message names only the SQL, and why it failed (a refused
 * connection, a Postgres error and its SQLSTATE) is its `cause`.
 */
export function errorText(err: unknown, depth = 0): string {
  const text = withoutQueryParams(String(err));
  if (depth >= 3 || !(err instanceof Error) || err.cause === undefined) return text;
  const code = (err.cause as { code?: unknown }).code;
  return `${text} (cause: ${errorText(err.cause, depth + 1)}${typeof code === "string" ? `, code ${code}` : ""})`;
}

/** A URL less its query string, which carries what a customer searched for or an id they asked about. */
function withoutQuery(url: string): string {
  const at = url.indexOf("?");
  return at === -1 ? url : url.slice(0, at);
}

/**
 * Removes what must never leave the system: request bodies, cookies, query
 * strings (also from the URL), every request header but a few harmless ones
 * (auth, IP addresses), any password/token/address/email-like field, and a
 * failed query's parameters in an exception's message and in breadcrumbs. Drops (null) an
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
    if (event.request.url) event.request.url = withoutQuery(event.request.url);
    if (event.request.headers) {
      event.request.headers = Object.fromEntries(Object.entries(event.request.headers).filter(([name]) => KEPT_HEADERS.has(name.toLowerCase())));
    }
  }
  if (event.extra) event.extra = scrub(event.extra) as Record<string, unknown>;
  if (event.contexts) event.contexts = scrub(event.contexts) as typeof event.contexts;
  if (event.user) event.user = { id: event.user.id };
  // Console breadcrumbs are earlier log lines of the invocation, kept whole: the same rules apply to them.
  if (event.breadcrumbs) {
    event.breadcrumbs = event.breadcrumbs.map((b) => ({
      ...b,
      ...(b.message === undefined ? {} : { message: withoutQueryParams(b.message) }),
      ...(b.data === undefined ? {} : { data: scrub(b.data) as Record<string, unknown> }),
    }));
  }
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
    // Without Dedupe: it drops an error equal to the last one, so the second of two identical 500s
    // would have no event to find by its request id (README, "What a 5xx means").
    integrations: (defaults) => defaults.filter((i) => i.name !== "Dedupe"),
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
