import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { problemOf } from "../respond.ts";

/**
 * Finds the methods registered for a path so an unmatched request can be
 * answered 405 with `Allow` instead of 404 when only the method is wrong.
 * Paths match exactly as the router matches them: `/v1/products/` (a
 * trailing slash) is no route, so it is 404 whatever the method.
 *
 * The routes' patterns are compiled once, on the first request that asks (an
 * unmatched one, or an OPTIONS; every route is registered by then): compiling them per request made an
 * unknown path cost the gateway 0.31 ms of workerd CPU, more than a cached
 * product read (load/FINDINGS.md, twelfth session).
 */
export function allowedMethodsOf(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  let compiled: { method: string; pattern: RegExp }[] | undefined;
  return (path) => {
    compiled ??= routes
      .filter((route) => route.method !== "ALL" && !route.path.includes("*"))
      .map((route) => ({ method: route.method, pattern: new RegExp(`^${route.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+")}$`) }));
    const methods = new Set<string>();
    for (const { method, pattern } of compiled) if (pattern.test(path)) methods.add(method);
    if (methods.has("GET")) methods.add("HEAD");
    if (methods.size > 0) methods.add("OPTIONS");
    return [...methods].sort();
  };
}

/**
 * OPTIONS, a CORS preflight or a plain one, names the path's methods in
 * `Allow` (after the CORS middleware has answered it); a path that is no
 * route is 404, as for any other method.
 */
export function answerOptions(allowedMethods: (path: string) => string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== "OPTIONS") return next();
    const allow = allowedMethods(c.req.path);
    if (allow.length === 0) return problemOf(c, "NOT_FOUND", "No such resource.");
    await next();
    c.res.headers.set("allow", allow.join(", "));
  };
}
