import type { Context, MiddlewareHandler } from "hono";
import { unstorableIn, type UnstorableText } from "../../../../shared/unstorable-text.ts";
import type { AppEnv } from "../context.ts";
import { problemOf } from "../respond.ts";

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Why a JSON body was refused before its route saw it: `app.ts` answers the validator's 400 with this. */
export type BodyProblem = UnstorableText;

/**
 * Refuses with 400 text that would not be stored as sent: a NUL anywhere in
 * the URL or in a JSON body's strings (Postgres text cannot hold U+0000, so it
 * used to fail deep inside a query), a body that is not UTF-8 (API.md: JSON in
 * UTF-8; a lenient decoder would store U+FFFD in place of the bytes), and a
 * string with an unpaired surrogate escape (`"\ud800"`, which is no Unicode
 * text either).
 *
 * The body is checked as it is read (`c.req.json()`, which the routes'
 * validators call), so an operation without a body ignores whatever was sent,
 * and a refusal names the field that holds the text. The validator turns any
 * failure to read into its 400; the finding is kept on the context
 * (`bodyProblem`) for `app.ts` to answer with.
 */
export function rejectUnstorableText(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (decodeURIComponentSafe(url.pathname + url.search).includes("\u0000")) {
      return problemOf(c, "VALIDATION_FAILED", "The URL contains a NUL character.", [{ path: "url", message: "NUL characters are not allowed" }]);
    }
    c.req.json = (() => readStorableJson(c)) as typeof c.req.json;
    await next();
  };
}

async function readStorableJson(c: Context<AppEnv>): Promise<unknown> {
  const text = utf8(await c.req.arrayBuffer());
  if (text === null) throw refuse(c, { detail: "The body is not valid UTF-8 text.", error: { path: "body", message: "Send JSON encoded as UTF-8" } });
  const value: unknown = JSON.parse(text); // a SyntaxError is the validator's "malformed JSON"
  const found = unstorableIn(value);
  if (found) throw refuse(c, found);
  return value;
}

function refuse(c: Context<AppEnv>, problem: BodyProblem): Error {
  c.set("bodyProblem", problem);
  return new Error(problem.detail);
}

function utf8(bytes: ArrayBuffer): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
