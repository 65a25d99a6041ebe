import type { OpenAPIHono } from "@hono/zod-openapi";
import { STATUS_BY_CODE } from "../../../shared/errors.ts";
import { ProblemSchema } from "../../../shared/schemas/common.ts";
import type { AppEnv } from "./context.ts";

interface ProblemResponse {
  description: string;
  content: { "application/problem+json": { schema: typeof ProblemSchema } };
}

const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request (for `VALIDATION_FAILED`, `errors` lists the paths)",
  401: "Missing, malformed or expired token",
  402: "Payment declined",
  403: "The caller's role may not do this",
  404: "Not found (or not yours)",
  409: "Conflict",
  413: "Body over 1 MiB",
  422: "Idempotency key reused with a different body",
  502: "Payment provider error",
};

/** The codes a status carries anywhere in the API (shared/errors.ts), for a response's description. */
function codesOf(status: number): string {
  const codes = Object.entries(STATUS_BY_CODE)
    .filter(([, s]) => s === status)
    .map(([code]) => `\`${code}\``);
  if (codes.length === 0) return "";
  return codes.length === 1 ? `\`code\`: ${codes[0]}` : `\`code\` is one of the API's codes for this status: ${codes.slice(0, -1).join(", ")} or ${codes.at(-1)}`;
}

/**
 * Error responses for a route's OpenAPI entry. Each listed status is a
 * problem+json; a content-less 500 is always added, which also lets handlers
 * return the plain `Response` built by `send()` (the served document replaces
 * it with the problem+json one, see `withCommonResponses`).
 */
export function problems<S extends number>(...statuses: S[]): Record<S, ProblemResponse> & { 500: { description: string } } {
  const out = {} as Record<S, ProblemResponse>;
  for (const s of statuses) {
    out[s] = { description: [DESCRIPTIONS[s] ?? "Error", codesOf(s)].filter(Boolean).join(". "), content: { "application/problem+json": { schema: ProblemSchema } } };
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

type Json = Record<string, unknown>;
const ref = (kind: "headers" | "responses", name: string) => ({ $ref: `#/components/${kind}/${name}` });
const problemContent = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };

/** Headers every response carries (API.md, Conventions). */
const STAMPED = { "x-request-id": ref("headers", "RequestId"), "x-edgeshop-version": ref("headers", "Version") };

const HEADERS: Json = {
  RequestId: { description: "The client's `x-request-id` (1-128 printable ASCII characters) echoed, else a new id", required: true, schema: { type: "string" } },
  Version: { description: "The deployed version id of the gateway that answered", required: true, schema: { type: "string" } },
  RetryAfter: { description: "Seconds to wait before trying again (on a 409, only with `IDEMPOTENCY_IN_PROGRESS`)", schema: { type: "integer" } },
  WwwAuthenticate: { description: "How to authenticate: `Bearer realm=\"edgeshop\"` (RFC 9110), on every 401", schema: { type: "string", enum: ['Bearer realm="edgeshop"'] } },
  IdempotentReplayed: { description: "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`", schema: { type: "string", enum: ["true"] } },
};

const RESPONSES: Json = {
  BadRequest: { description: "Invalid request: a path parameter or query that fails validation, or a URL holding a NUL (400 VALIDATION_FAILED)", headers: STAMPED, content: problemContent },
  RateLimited: { description: "Rate limited (429 RATE_LIMITED)", headers: { ...STAMPED, "retry-after": ref("headers", "RetryAfter") }, content: problemContent },
  ServiceUnavailable: { description: "A service this needs is unavailable, or not rolled out yet (503 SERVICE_UNAVAILABLE)", headers: { ...STAMPED, "retry-after": ref("headers", "RetryAfter") }, content: problemContent },
  PayloadTooLarge: { description: "Body over 1 MiB (413 PAYLOAD_TOO_LARGE)", headers: STAMPED, content: problemContent },
  UnsupportedMediaType: { description: "Body not sent as application/json (the signed webhooks take any content type), or sent with a content coding such as gzip (415 UNSUPPORTED_MEDIA_TYPE)", headers: STAMPED, content: problemContent },
  InternalError: { description: "Unexpected error (500 INTERNAL_ERROR; no internals are exposed)", headers: STAMPED, content: problemContent },
};

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** A stable name for code generators: `GET /v1/products/{id}` is `getProductsById`, `POST /v1/checkout` is `postCheckout`. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((segment) => segment !== "" && segment !== "v1")
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      const name = (param ? param[1]! : segment).split(/[^A-Za-z0-9]+/).map(capitalised).join("");
      return param ? `By${name}` : name;
    });
  return method + words.join("");
}

/**
 * What every operation may answer besides its own responses, added to the
 * generated document in one place rather than to each of the routes: 400 (any
 * path parameter or query is validated, and a URL holding a NUL is refused), 429 (the
 * rate limits cover every route), 503 (a dependency down, or a method not
 * rolled out yet), 500 as problem+json, 413 and 415 (every request's body is
 * checked, whether or not the operation reads one; for the signed webhooks,
 * which read raw bytes, 415 only for a content coding), an `operationId`, and
 * the headers
 * every response carries (`idempotent-replayed` too on checkout, and
 * `retry-after` on its 409). A 405 with
 * `Allow` for a wrong method belongs to no operation, so the document's
 * description states it.
 */
function withCommonResponses<D extends { paths?: unknown; components?: unknown }>(generated: D): D {
  const doc = structuredClone(generated); // the generator may hand out the routes' own response objects
  const components = (doc.components ?? {}) as Json;
  components.headers = { ...(components.headers as Json | undefined), ...HEADERS };
  components.responses = { ...(components.responses as Json | undefined), ...RESPONSES };
  doc.components = components as D["components"];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const [method, value] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const op = value as { requestBody?: unknown; parameters?: { in: string; name: string }[]; responses: Record<string, Json> };
      op.responses["400"] ??= ref("responses", "BadRequest");
      op.responses["429"] ??= ref("responses", "RateLimited");
      // A route's own problem+json 503 (problems(503)) is the shared one too, with retry-after like every 503 (not /health's own body).
      const own503 = op.responses["503"];
      if (!own503 || (own503.content as Json | undefined)?.["application/problem+json"]) op.responses["503"] = ref("responses", "ServiceUnavailable");
      op.responses["500"] = ref("responses", "InternalError");
      // Every request's body is checked, whether or not the operation reads one.
      op.responses["413"] ??= ref("responses", "PayloadTooLarge");
      op.responses["415"] ??= ref("responses", "UnsupportedMediaType");
      (op as Json).operationId ??= operationIdOf(method, path);
      const replayable = method === "post" && path === "/v1/checkout";
      for (const [status, response] of Object.entries(op.responses)) {
        if ("$ref" in response) continue;
        const challenge = status === "401" ? { "www-authenticate": ref("headers", "WwwAuthenticate") } : {};
        // A checkout's 409 IDEMPOTENCY_IN_PROGRESS says when to send the key again.
        const inProgress = replayable && status === "409" ? { "retry-after": ref("headers", "RetryAfter") } : {};
        response.headers = { ...STAMPED, ...challenge, ...(replayable ? { "idempotent-replayed": ref("headers", "IdempotentReplayed") } : {}), ...inProgress, ...(response.headers as Json | undefined) };
      }
    }
  }
  return doc;
}

/**
 * GET /v1/openapi.json: the routes' document (OpenAPI 3.1) with what every
 * operation shares. Its server is `/`, the origin the document was fetched
 * from: a URL built from the request's Host header would let a forged Host
 * put another origin into a document a cache may keep.
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>, version: string) {
  return withCommonResponses(
    app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "edgeshop API",
        version,
        description:
          "E-commerce backend on Cloudflare Workers. Every response carries `x-request-id` and `x-edgeshop-version`; errors are RFC 9457 problem+json. " +
          "A method a path does not serve is 405 `METHOD_NOT_ALLOWED` with an `Allow` header; an unknown path is 404 `NOT_FOUND`.",
      },
      servers: [{ url: "/" }],
    }),
  );
}
