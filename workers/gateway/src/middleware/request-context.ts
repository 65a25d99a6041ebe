import { captureException, captureMessage, withScope } from "@sentry/cloudflare";
import type { Context, MiddlewareHandler } from "hono";
import { continueTrace, runWithTrace, traceparent, traceSampleRate, type TraceContext } from "../../../../shared/trace.ts";
import { randomUuid } from "../../../../shared/ids.ts";
import type { AppEnv } from "../context.ts";

/**
 * A client's request id is kept when it is 1-128 printable ASCII characters:
 * that covers UUIDs, ULIDs and ids like `checkout/42 retry`, and bounds what
 * every log line and every domain Worker's trace carries (shared/trace.ts).
 */
const VALID_REQUEST_ID = /^[\x20-\x7e]{1,128}$/;

/**
 * Gives every request an id (the client's `x-request-id` when it is sane) and
 * a trace (the client's W3C `traceparent` continued, or a new one; sampled as
 * `TRACE_SAMPLE_RATE` says unless the client asked for it), stamps
 * `x-request-id`, `x-edgeshop-version` and `traceparent` on every response,
 * errors included (and `cache-control: no-store` on answers to a token or a
 * write, `no-cache` on public reads), then writes one structured log line. The trace is current
 * (AsyncLocalStorage) while the request runs, so calls to domain Workers carry it.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    const requestId = requestIdOf(c.req.header("x-request-id"));
    const trace = continueTrace(c.req.header("traceparent"), traceSampleRate(c.env.TRACE_SAMPLE_RATE));
    c.set("requestId", requestId);
    c.set("traceId", trace.traceId);
    c.set("principal", undefined);
    // Every service-binding call made for this request carries the trace (see resilience.ts).
    await runWithTrace({ ...trace, requestId }, next);
    let res = c.res;
    // A signed-in caller's data, and whatever a write answers (a login's token too), is kept by no cache.
    const personal = c.req.header("authorization") !== undefined || (c.req.method !== "GET" && c.req.method !== "HEAD");
    const stamp = (headers: Headers) => {
      headers.set("x-request-id", requestId);
      headers.set("x-edgeshop-version", c.env.CF_VERSION_METADATA.id);
      headers.set("traceparent", traceparent(trace));
      // A public read may be kept, but only to be asked for again each time (no-cache): HTTP lets a cache reuse an
      // answer with no cache-control for a while on heuristics, and that would serve an old price.
      if (!headers.has("cache-control")) headers.set("cache-control", personal ? "no-store" : "no-cache");
    };
    try {
      stamp(res.headers); // responses built here have mutable headers: no copy on the hot path
    } catch {
      res = new Response(res.body, res); // immutable headers (a fetched response): stamp a copy
      stamp(res.headers);
      c.res = res;
    }
    // 5xx that did not come from a thrown error (those are reported by onError).
    if (res.status >= 500 && !c.error) reportError(c, `HTTP ${res.status} on ${c.req.method} ${c.req.routePath}`);
    // Answered before any route (404, 405, 413, 415, a preflight): the route is the catch-all, so the line names the path.
    const path = c.req.routePath === "/*" ? c.req.path : undefined;
    logRequest({ requestId, trace, method: c.req.method, route: c.req.routePath, ...(path === undefined ? {} : { path }), status: res.status, started, version: c.env.CF_VERSION_METADATA.id });
  };
}

/** The client's `x-request-id` when it is sane, else a new one. */
export function requestIdOf(incoming: string | null | undefined): string {
  return incoming && VALID_REQUEST_ID.test(incoming) ? incoming : randomUuid();
}

/** The one structured log line per request (the cached-read fast path writes the same record in batches: read-log.ts). */
export function logRequest(r: { requestId: string; trace: TraceContext; method: string; route: string; path?: string; status: number; started: number; version: string }): void {
  // Workers Logs takes the level from the console method: a 5xx line is written as an error.
  (r.status >= 500 ? console.error : console.log)(
    JSON.stringify({
      level: r.status >= 500 ? "error" : "info",
      worker: "gateway",
      requestId: r.requestId,
      traceId: r.trace.traceId,
      spanId: r.trace.spanId,
      method: r.method,
      route: r.route,
      ...(r.path === undefined ? {} : { path: r.path }),
      status: r.status,
      durationMs: Date.now() - r.started,
      version: r.version,
    }),
  );
}

/**
 * Sends an error to Sentry with what an operator needs to find it (request
 * id, route, version, user id) and nothing a user would not want sent.
 */
export function reportError(c: Context<AppEnv>, error: unknown): void {
  withScope((scope) => {
    scope.setTags({ requestId: c.get("requestId"), traceId: c.get("traceId"), route: `${c.req.method} ${c.req.routePath}`, version: c.env.CF_VERSION_METADATA.id, worker: "gateway" });
    const principal = c.get("principal");
    if (principal) scope.setUser({ id: principal.userId });
    if (typeof error === "string") captureMessage(error, "error");
    else captureException(freshError(error));
  });
}

/**
 * An error thrown across RPC arrives marked as already captured by the Worker
 * that threw it, and Sentry would drop it as a duplicate; the gateway reports
 * its own occurrence (with the request id) as a fresh error of the same name.
 */
function freshError(error: unknown): unknown {
  if (!(error instanceof Error) || !(error as { __sentry_captured__?: boolean }).__sentry_captured__) return error;
  const copy = new Error(error.message);
  copy.name = error.name;
  return copy;
}
