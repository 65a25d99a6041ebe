import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { problemOf } from "../respond.ts";

const NUL_IN_JSON = /\\u0000/i;

/**
 * Postgres text cannot hold U+0000, so a NUL anywhere in the URL or a JSON
 * body is refused here with 400 instead of failing deep inside a query.
 */
export function rejectNul(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (decodeURIComponentSafe(url.pathname + url.search).includes("\u0000")) {
      return problemOf(c, "VALIDATION_FAILED", "The URL contains a NUL character.", [{ path: "url", message: "NUL characters are not allowed" }]);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && (c.req.header("content-type") ?? "").includes("json")) {
      const text = await c.req.text();
      if (text.includes("\u0000") || NUL_IN_JSON.test(text)) {
        return problemOf(c, "VALIDATION_FAILED", "The body contains a NUL character.", [{ path: "body", message: "NUL characters are not allowed" }]);
      }
    }
    await next();
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
