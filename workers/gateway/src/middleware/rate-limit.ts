import type { Context, MiddlewareHandler } from "hono";
import { verifyAccessToken } from "../../../../shared/auth.ts";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../../../shared/rate-limits.ts";
import type { AppEnv } from "../context.ts";
import { bearerToken } from "./auth.ts";
import { problemOf } from "../respond.ts";

/** Seconds a client is told to wait: the window the rate limit bindings count over. */
export const RETRY_AFTER_SECONDS = RATE_LIMIT_PERIOD_SECONDS;

type LimiterName = "RATE_LIMIT_ANON" | "RATE_LIMIT_USER" | "RATE_LIMIT_AUTH" | "RATE_LIMIT_CHECKOUT" | "RATE_LIMIT_WEBHOOK";

/**
 * Picks the limiter and key for a request: login/register per IP (stricter),
 * provider webhooks per IP (their own, larger budget: a provider sends a busy
 * shop's events from a few addresses), checkout per user (stricter), other
 * authenticated calls per user, the rest per IP.
 */
export async function classify(c: Context<AppEnv>): Promise<{ limiter: LimiterName; key: string }> {
  const ipKey = anonymousKey(c.req.header("cf-connecting-ip"));
  const path = new URL(c.req.url).pathname;
  if (path.startsWith("/v1/auth/")) return { limiter: "RATE_LIMIT_AUTH", key: ipKey };
  if (path.startsWith("/v1/webhooks/")) return { limiter: "RATE_LIMIT_WEBHOOK", key: ipKey };
  const token = bearerToken(c.req.header("authorization"));
  const principal = token ? await verifyAccessToken(token, c.env) : null;
  if (!principal) return { limiter: "RATE_LIMIT_ANON", key: ipKey };
  c.set("principal", principal);
  if (c.req.method === "POST" && path === "/v1/checkout") return { limiter: "RATE_LIMIT_CHECKOUT", key: `user:${principal.userId}` };
  return { limiter: "RATE_LIMIT_USER", key: `user:${principal.userId}` };
}

/** The limiter key of a caller without a token: its IP (Cloudflare's `cf-connecting-ip`). */
export function anonymousKey(ip: string | null | undefined): string {
  return `ip:${ip ?? "local"}`;
}

/**
 * Answers 429 RATE_LIMITED with `retry-after` once the caller's limiter says
 * no. `pick` is injectable so tests can drive a small limiter.
 */
export function rateLimit(pick: (c: Context<AppEnv>) => Promise<{ limiter: RateLimit; key: string }>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return next();
    const { limiter, key } = await pick(c);
    const { success } = await limiter.limit({ key });
    if (!success) {
      return problemOf(c, "RATE_LIMITED", "Too many requests; slow down.", undefined, { "retry-after": String(RETRY_AFTER_SECONDS) });
    }
    await next();
  };
}

/** The gateway's limiter: bindings chosen by `classify`. */
export function gatewayRateLimit(): MiddlewareHandler<AppEnv> {
  return rateLimit(async (c) => {
    const { limiter, key } = await classify(c);
    return { limiter: c.env[limiter], key };
  });
}
