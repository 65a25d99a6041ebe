import { ProblemSchema } from "../../../shared/schemas/common.ts";

interface ProblemResponse {
  description: string;
  content: { "application/problem+json": { schema: typeof ProblemSchema } };
}

const DESCRIPTIONS: Record<number, string> = {
  400: "Validation failed (problem+json, `errors` lists the paths)",
  401: "Missing, malformed or expired token",
  402: "Payment declined",
  403: "The caller's role may not do this",
  404: "Not found (or not yours)",
  409: "Conflict",
  413: "Body over 1 MiB",
  422: "Idempotency key reused with a different body",
  502: "Payment provider error",
};

/**
 * Error responses for a route's OpenAPI entry. Each listed status is a
 * problem+json; a content-less 500 is always added, which also lets handlers
 * return the plain `Response` built by `send()`.
 */
export function problems<S extends number>(...statuses: S[]): Record<S, ProblemResponse> & { 500: { description: string } } {
  const out = {} as Record<S, ProblemResponse>;
  for (const s of statuses) {
    out[s] = { description: DESCRIPTIONS[s] ?? "Error", content: { "application/problem+json": { schema: ProblemSchema } } };
  }
  return { ...out, 500: { description: "Unexpected error (problem+json; no internals are exposed)" } };
}

/** JSON request body entry for createRoute. */
export function jsonBody<T>(schema: T) {
  return { body: { content: { "application/json": { schema } }, required: true } };
}

/** JSON response entry for createRoute. */
export function jsonResponse<T>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export const bearer = [{ bearerAuth: [] }];
