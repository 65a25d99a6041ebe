import type { Context } from "hono";

/** Keeps a leading byte-order mark: `Request.text()` drops it, and a webhook's signature covers every byte sent. */
const BODY_AS_SENT = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * A signed webhook's body as the text of the bytes that were signed. Bytes
 * that are not UTF-8 decode to U+FFFD and so fail the signature, as they
 * should: the body is JSON, which is UTF-8.
 */
export async function signedBody(c: Context): Promise<string> {
  return BODY_AS_SENT.decode(await c.req.arrayBuffer());
}
