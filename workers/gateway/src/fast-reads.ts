import { continueTrace, traceparent } from "../../../shared/trace.ts";
import { validRequestId } from "./middleware/request-context.ts";
import { catalogReads, readTtl } from "./read-cache.ts";

/**
 * The fast path for the hottest request a shop serves: an anonymous
 * `GET /v1/products/{id}` whose JSON this isolate already holds (tier 1 of
 * read-cache.ts). It answers without the router and the middleware chain,
 * which cost ~0.2 ms of the isolate's thread per request, and does what that
 * chain does for such a request:
 * - the same rate limit call (`RATE_LIMIT_ANON` per client IP);
 * - a request id and a trace (the client's, when they are valid);
 * - the same log line;
 * - the same headers. They are learned from the full path's own answer for
 *   this route (`learn`), so the two cannot drift apart.
 *
 * Anything else goes the full way: a miss, a token, a query string, an
 * encoded path, fault injection, and any answer other than a plain 200. It
 * also goes the full way before the headers are learned, and when the
 * limiter says no (the full path then answers 429).
 */

const PRODUCT_PATH = /^\/v1\/products\/([A-Za-z0-9_-]{1,64})$/;
const ROUTE = "/v1/products/:id";
/** Set per request by requestContext, not part of what is learned. */
const PER_REQUEST = new Set(["x-request-id", "traceparent", "content-length"]);

let learned: [string, string][] | undefined;

/** How many requests the fast path answered in this isolate (tests and profiling read it). */
export const fastReads = { served: 0 };

/** The product id when `request` may take the fast path at all. */
function candidate(request: Request, url: URL): string | undefined {
  if (request.method !== "GET" || url.search !== "") return undefined;
  if (request.headers.has("authorization") || request.headers.has("x-edgeshop-fault")) return undefined;
  return PRODUCT_PATH.exec(url.pathname)?.[1];
}

/** The answer from this isolate's memory, or undefined to take the full path. */
export async function fastRead(request: Request, env: GatewayEnv): Promise<Response | undefined> {
  if (!learned) return undefined;
  const url = new URL(request.url);
  const id = candidate(request, url);
  if (id === undefined) return undefined;
  const body = catalogReads.peek(`products/${id}`, readTtl(env));
  if (body === undefined) return undefined;
  const started = Date.now();
  const { success } = await env.RATE_LIMIT_ANON.limit({ key: `ip:${request.headers.get("cf-connecting-ip") ?? "local"}` });
  if (!success) return undefined;
  const requestId = validRequestId(request.headers.get("x-request-id")) ?? crypto.randomUUID();
  const trace = continueTrace(request.headers.get("traceparent") ?? undefined);
  const headers = new Headers(learned);
  headers.set("x-request-id", requestId);
  headers.set("traceparent", traceparent(trace));
  fastReads.served++;
  console.log(
    JSON.stringify({
      level: "info",
      worker: "gateway",
      requestId,
      traceId: trace.traceId,
      spanId: trace.spanId,
      method: "GET",
      route: ROUTE,
      status: 200,
      durationMs: Date.now() - started,
      version: env.CF_VERSION_METADATA.id,
    }),
  );
  return new Response(body, { status: 200, headers });
}

/** Learns the headers of the route's answer from a full-path 200 to a request that could have taken the fast path. */
export function learn(request: Request, response: Response): void {
  if (learned || response.status !== 200 || candidate(request, new URL(request.url)) === undefined) return;
  learned = [...response.headers].filter(([name]) => !PER_REQUEST.has(name));
}
