import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { problemOf } from "../respond.ts";

/**
 * A request body sent with a content coding (`content-encoding: gzip`) is
 * 415, as RFC 9110 (15.5.16) has it for a coding the server does not take:
 * edgeshop reads bodies as sent, and a compressed one used to be read as
 * text and refused as "not valid UTF-8". `identity` is no coding.
 */
export function refuseEncodedBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const coding = c.req.header("content-encoding")?.trim().toLowerCase();
    if (coding && coding !== "identity") {
      return problemOf(c, "UNSUPPORTED_MEDIA_TYPE", "Request bodies are taken as sent, without a content coding; send it uncompressed.", undefined, { "accept-encoding": "identity" });
    }
    await next();
  };
}
