import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { problemOf } from "../respond.ts";

const NUL_IN_JSON = /\\u0000/i;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** A UTF-16 code unit of a surrogate pair without its other half (matched per code unit: no `u` flag). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses with 400, before any handler, text that would not be stored as
 * sent: a NUL anywhere in the URL or a JSON body (Postgres text cannot hold
 * U+0000, so it used to fail deep inside a query), a body that is not UTF-8
 * (API.md: JSON in UTF-8; a lenient decoder would store U+FFFD in place of
 * the bytes), and a string with an unpaired surrogate escape (`"\ud800"`,
 * which is no Unicode text either).
 */
export function rejectUnstorableText(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (decodeURIComponentSafe(url.pathname + url.search).includes("\u0000")) {
      return problemOf(c, "VALIDATION_FAILED", "The URL contains a NUL character.", [{ path: "url", message: "NUL characters are not allowed" }]);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && (c.req.header("content-type") ?? "").includes("json")) {
      const text = utf8(await c.req.arrayBuffer());
      if (text === null || hasLoneSurrogate(text)) {
        return problemOf(c, "VALIDATION_FAILED", "The body is not valid UTF-8 text.", [{ path: "body", message: "Send JSON encoded as UTF-8, with no unpaired surrogates" }]);
      }
      if (text.includes("\u0000") || NUL_IN_JSON.test(text)) {
        return problemOf(c, "VALIDATION_FAILED", "The body contains a NUL character.", [{ path: "body", message: "NUL characters are not allowed" }]);
      }
    }
    await next();
  };
}

function utf8(bytes: ArrayBuffer): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** True when the JSON text parses and holds a string (key or value) that is not well-formed Unicode. */
function hasLoneSurrogate(text: string): boolean {
  if (!/\\u[dD][89a-fA-F]/.test(text)) return false; // only an escape can carry one into valid UTF-8 text
  let found = false;
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (LONE_SURROGATE.test(key) || (typeof value === "string" && LONE_SURROGATE.test(value))) found = true;
      return value;
    });
  } catch {
    return false; // malformed JSON is the validator's 400
  }
  return found;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
