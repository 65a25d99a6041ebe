import type { Context } from "hono";
import { problemResponse, type DomainError, type ErrorCode, type FieldError, type Result } from "../../../shared/errors.ts";
import type { AppEnv } from "./context.ts";

/** `retry-after` when a service has not rolled out a method yet (PLATFORM.md: seconds to minutes after a deploy). */
export const ROLLOUT_RETRY_SECONDS = 10;
/** `retry-after` while a domain Worker cannot reach Postgres: a restart or failover takes seconds. */
export const DATABASE_RETRY_SECONDS = 5;

/** Renders a domain error as problem+json carrying this request's id. */
export function problem(c: Context<AppEnv>, error: DomainError, headers: HeadersInit = {}): Response {
  return problemResponse(error, c.get("requestId") ?? "unknown", headers);
}

export function problemOf(c: Context<AppEnv>, code: ErrorCode, detail?: string, errors?: FieldError[], headers: HeadersInit = {}): Response {
  return problem(c, { code, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) }, headers);
}

/** Maps an RPC `Result` to HTTP: the value as JSON with `status`, or the error as problem+json. */
export function send<T>(c: Context<AppEnv>, result: Result<T>, status: 200 | 201 = 200): Response {
  if (!result.ok) return problem(c, result.error);
  return c.json(result.value as object, status);
}

/** Like `send` for a value already serialised to JSON (a cached read, as UTF-8). */
export function sendJson(c: Context<AppEnv>, result: Result<Uint8Array<ArrayBuffer>>): Response {
  if (!result.ok) return problem(c, result.error);
  return c.body(result.value, 200, { "content-type": "application/json" });
}

/** 204 for a successful `Result<unknown>`, problem+json otherwise. */
export function sendNoContent(c: Context<AppEnv>, result: Result<unknown>): Response {
  if (!result.ok) return problem(c, result.error);
  return c.body(null, 204);
}
