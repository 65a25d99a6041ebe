import type { FieldError } from "./errors.ts";

/** A UTF-16 code unit of a surrogate pair without its other half (matched per code unit: no `u` flag). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why parsed JSON holds text that cannot be stored as sent: a sentence for `detail`, and the field. */
export interface UnstorableText {
  detail: string;
  error: FieldError;
}

/**
 * The first string of parsed JSON (a value, or a key: then its object's path)
 * holding a NUL (Postgres text cannot hold U+0000) or an unpaired surrogate
 * (`"\ud800"`: no Unicode text), depth first; null when there is none.
 */
export function unstorableIn(value: unknown, path: string[] = []): UnstorableText | null {
  if (typeof value === "string") return unstorableText(value, path);
  if (value === null || typeof value !== "object") return null;
  for (const [key, child] of Object.entries(value)) {
    const inKey = unstorableText(key, path);
    if (inKey) return inKey;
    const inChild = unstorableIn(child, [...path, key]);
    if (inChild) return inChild;
  }
  return null;
}

function unstorableText(text: string, path: string[]): UnstorableText | null {
  const at = path.length > 0 ? path.join(".") : "body";
  if (text.includes("\u0000")) return { detail: "The body contains a NUL character.", error: { path: at, message: "NUL characters are not allowed" } };
  if (LONE_SURROGATE.test(text)) return { detail: "The body is not valid Unicode text.", error: { path: at, message: "Unpaired surrogates are not allowed" } };
  return null;
}
