/**
 * Finds the methods registered for a path so an unmatched request can be
 * answered 405 with `Allow` instead of 404 when only the method is wrong.
 * Paths match exactly as the router matches them: `/v1/products/` (a
 * trailing slash) is no route, so it is 404 whatever the method.
 *
 * The routes' patterns are compiled once, on the first unmatched request
 * (every route is registered by then): compiling them per request made an
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
