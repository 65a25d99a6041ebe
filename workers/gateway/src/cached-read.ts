import { continueTrace, traceparent, traceSampleRate } from "../../../shared/trace.ts";
import { anonymousKey } from "./middleware/rate-limit.ts";
import { requestIdOf } from "./middleware/request-context.ts";
import { catalogReads, readKey, readTtl } from "./read-cache.ts";
import { readLog } from "./read-log.ts";

/**
 * The fast path of the gateway's most frequent request: an anonymous GET of a
 * public catalog read (a product, a page of products, the categories) whose
 * JSON is already in this isolate's read cache (read-cache.ts). It answers
 * before Hono runs: no routing, validation or middleware chain (in a
 * same-stack A/B, 0.33 against 0.44 ms of workerd CPU per product read; see
 * load/FINDINGS.md, 2026-11-26).
 *
 * It answers exactly what the full path would:
 * - only URLs the full path validated and cached (the cache is keyed by the
 *   URL as sent), and only while that entry is fresh;
 * - the same rate limit (the anonymous limiter, keyed by client IP); when it
 *   says no, the full path answers the 429;
 * - the same headers: those of a cached read the full path answered in this
 *   isolate (security, CORS, content type, version), with this request's id
 *   and trace stamped as the full path does (over HTTP/1.1 their names go
 *   out in lower case, where the full path capitalises some; HTTP ignores case);
 * - the same log record, written in batches (read-log.ts).
 * Anything else (a token, a miss, another method, the tests' fault header)
 * goes the full way.
 */

/**
 * Response headers that differ per request: never part of the template.
 * `x-edgeshop-version` is not one of them: an isolate runs one version, the
 * one its template was learned from, so the template carries it.
 */
const PER_REQUEST = new Set(["x-request-id", "traceparent", "content-length"]);

/**
 * The learned headers. A response built on a Headers object copies it inside
 * the runtime; built from name-value pairs it crosses into the runtime once
 * per header, which cost a cached read about 0.04 ms more of workerd CPU
 * (load/FINDINGS.md, twelfth session).
 */
let template: Headers | undefined;

/** The fast path's answer, or undefined to take the full path. */
export async function serveCachedRead(request: Request, env: GatewayEnv, ctx: Pick<ExecutionContext, "waitUntil">): Promise<Response | undefined> {
  if (template === undefined || request.method !== "GET") return undefined;
  const headers = request.headers;
  if (headers.has("authorization") || headers.has("x-edgeshop-fault")) return undefined;
  const hit = catalogReads.peek(readKey(request.url), readTtl(env));
  if (!hit) return undefined;
  const started = Date.now();
  // A refusal, or a limiter that failed, is the full path's to answer (429, or a reported error).
  const allowed = await env.RATE_LIMIT_ANON.limit({ key: anonymousKey(headers.get("cf-connecting-ip")) }).then(
    (r) => r.success,
    () => false,
  );
  if (!allowed) return undefined;
  const requestId = requestIdOf(headers.get("x-request-id"));
  const trace = continueTrace(headers.get("traceparent") ?? undefined, traceSampleRate(env.TRACE_SAMPLE_RATE));
  const response = new Response(hit.bytes, { status: 200, headers: template });
  response.headers.set("x-request-id", requestId);
  response.headers.set("traceparent", traceparent(trace));
  readLog.add({ requestId, trace, route: hit.route, started, version: env.CF_VERSION_METADATA.id }, ctx);
  return response;
}

/**
 * Takes the fast path's header template from the first cached read the full
 * path answers in this isolate: a 200 to an anonymous GET whose URL is now in
 * the cache (a signed-in caller's answer carries `cache-control: no-store`,
 * which an anonymous read must not).
 */
export function learnFrom(request: Request, response: Response): void {
  if (template !== undefined || request.method !== "GET" || response.status !== 200 || request.headers.has("authorization")) return;
  if (!catalogReads.peek(readKey(request.url), Number.POSITIVE_INFINITY)) return;
  template = new Headers([...response.headers].filter(([name]) => !PER_REQUEST.has(name)));
}
