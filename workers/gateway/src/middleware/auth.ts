import type { MiddlewareHandler } from "hono";
import { checkAccessToken, type Principal, type Role, type TokenCheck } from "../../../../shared/auth.ts";
import type { AppEnv } from "../context.ts";
import { problemOf } from "../respond.ts";

/**
 * The token of an `Authorization: Bearer <token>` header, or null. The scheme
 * is matched case-insensitively and may be followed by several spaces, as RFC
 * 9110 (11.1, 11.4) allows: `bearer` and `BEARER` are the same scheme.
 */
export function bearerToken(header: string | undefined): string | null {
  return header?.match(/^bearer +(\S+)$/i)?.[1] ?? null;
}

async function checkHeader(header: string | undefined, env: GatewayEnv): Promise<TokenCheck> {
  const token = bearerToken(header);
  return token ? checkAccessToken(token, env) : { ok: false, expired: false };
}

/**
 * Requires a valid bearer token (401 UNAUTHENTICATED otherwise) and, when
 * `roles` is given, one of those roles (403 FORBIDDEN otherwise).
 */
export function requireAuth(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // The rate limiter may already have verified the token for this request.
    const known = c.get("principal");
    const check: TokenCheck = known ? { ok: true, principal: known } : await checkHeader(c.req.header("authorization"), c.env);
    if (!check.ok) {
      // with the bearer challenge every 401 carries; an expired token says so, for a client to sign in again
      return problemOf(c, "UNAUTHENTICATED", check.expired ? "The token has expired: sign in again for a new one." : "A valid bearer token is required.");
    }
    const principal = check.principal;
    if (roles.length > 0 && !roles.includes(principal.role)) {
      return problemOf(c, "FORBIDDEN", "Your role may not do this.");
    }
    c.set("principal", principal);
    await next();
  };
}

/** The authenticated caller; only call behind `requireAuth`. */
export function principalOf(c: { get(key: "principal"): Principal | undefined }): Principal {
  const p = c.get("principal");
  if (!p) throw new Error("principalOf called on a route without requireAuth");
  return p;
}
