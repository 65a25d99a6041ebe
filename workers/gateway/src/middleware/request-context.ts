import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";

const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every request an id (the client's `x-request-id` when it is sane) and
 * stamps `x-request-id` and `x-edgeshop-version` on every response, errors
 * included, then writes one structured log line.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("principal", undefined);
    await next();
    const res = new Response(c.res.body, c.res);
    res.headers.set("x-request-id", requestId);
    res.headers.set("x-edgeshop-version", c.env.CF_VERSION_METADATA.id);
    c.res = res;
    console.log(
      JSON.stringify({
        level: res.status >= 500 ? "error" : "info",
        worker: "gateway",
        requestId,
        method: c.req.method,
        route: c.req.routePath,
        status: res.status,
        durationMs: Date.now() - started,
        version: c.env.CF_VERSION_METADATA.id,
      }),
    );
  };
}
