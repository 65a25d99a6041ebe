/**
 * One error vocabulary for every Worker. Domain Workers return expected failures
 * as values (`Result`), because typed RPC drops custom error properties; the
 * gateway maps `code` to an HTTP status through `STATUS_BY_CODE` and renders
 * RFC 9457 problem+json in exactly one place (`problemResponse`).
 */

export const STATUS_BY_CODE = {
  VALIDATION_FAILED: 400,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  INVALID_SIGNATURE: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  PAYMENT_DECLINED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNKNOWN_SKU: 404,
  METHOD_NOT_ALLOWED: 405,
  EMAIL_TAKEN: 409,
  SLUG_TAKEN: 409,
  SKU_TAKEN: 409,
  OUT_OF_STOCK: 409,
  INSUFFICIENT_STOCK: 409,
  PRICE_CHANGED: 409,
  CART_EMPTY: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  ORDER_NOT_CANCELLABLE: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  PAYMENT_PROVIDER_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

/**
 * A field-level problem, `path` in dotted form (`items.0.quantity`). A stock
 * shortage (OUT_OF_STOCK) also names its SKU and, as numbers, the units
 * asked for and the units there are, so a client need not parse `message`.
 */
export interface FieldError {
  path: string;
  message: string;
  sku?: string;
  requested?: number;
  available?: number;
}

/** An amount in minor units and its ISO 4217 code (the shape of `Money`, kept here so errors.ts imports nothing). */
export interface ProblemMoney {
  amount: number;
  currency: string;
}

/** An expected failure as it crosses RPC: plain, structured-cloneable data. */
export interface DomainError {
  code: ErrorCode;
  detail?: string;
  errors?: FieldError[];
  /** The order a failed checkout left in the history (`failed`), so a client can tie the answer to it. */
  orderId?: string;
  /** PRICE_CHANGED: what the order would cost now (subtotal at today's prices plus shipping)... */
  total?: ProblemMoney;
  /** ...and the total the client said it expected (`expectedTotal` of the checkout body). */
  expectedTotal?: ProblemMoney;
  /** Seconds the client should wait before sending the same request again: the answer's `retry-after` header, never in the body. */
  retryAfterSeconds?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DomainError };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: ErrorCode, detail?: string, errors?: FieldError[]): { ok: false; error: DomainError } {
  return { ok: false, error: { code, ...(detail === undefined ? {} : { detail }), ...(errors === undefined ? {} : { errors }) } };
}

const TITLES: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: "Validation failed",
  UNAUTHENTICATED: "Authentication required",
  INVALID_CREDENTIALS: "Invalid credentials",
  FORBIDDEN: "Forbidden",
  NOT_FOUND: "Not found",
  METHOD_NOT_ALLOWED: "Method not allowed",
  PAYLOAD_TOO_LARGE: "Payload too large",
  INTERNAL_ERROR: "Internal server error",
  SERVICE_UNAVAILABLE: "Service unavailable",
  RATE_LIMITED: "Too many requests",
};

/** Human title for a code: `OUT_OF_STOCK` -> `Out of stock` unless overridden. */
export function titleFor(code: ErrorCode): string {
  const fixed = TITLES[code];
  if (fixed) return fixed;
  const words = code.toLowerCase().split("_").join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  requestId: string;
  errors?: FieldError[];
  orderId?: string;
  total?: ProblemMoney;
  expectedTotal?: ProblemMoney;
}

/** Builds the problem+json body for a domain error (its additive members included; `retryAfterSeconds` is a header). */
export function problemBody(error: DomainError, requestId: string): ProblemBody {
  // A code this build does not know (a newer Worker during a rollout) is still an error, never a crash.
  const status: number = STATUS_BY_CODE[error.code] ?? 500;
  return {
    type: `https://edgeshop.dev/problems/${error.code.toLowerCase().replaceAll("_", "-")}`,
    title: titleFor(error.code),
    status,
    code: error.code,
    detail: error.detail ?? titleFor(error.code),
    requestId,
    ...(error.errors ? { errors: error.errors } : {}),
    ...(error.orderId === undefined ? {} : { orderId: error.orderId }),
    ...(error.total === undefined ? {} : { total: error.total }),
    ...(error.expectedTotal === undefined ? {} : { expectedTotal: error.expectedTotal }),
  };
}

/** The challenge every 401 carries: how to authenticate (a bearer token). */
const BEARER_CHALLENGE = 'Bearer realm="edgeshop"';

/**
 * Seconds a 503 tells the client to wait when its cause names no time of its
 * own (a cancel still under way that a shipment event must wait for).
 */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/**
 * Seconds a 409 IDEMPOTENCY_IN_PROGRESS tells the client to wait before
 * sending the same key again, when the orders Worker named none (one of the
 * release before). A checkout's saga takes well under a second (README,
 * Performance: p95 64-83 ms at a human pace, about 1 s on a saturated bench),
 * so a retry a second later usually gets the stored answer (a replay).
 */
export const IN_PROGRESS_RETRY_AFTER_SECONDS = 1;

/** The `retry-after` an error's answer carries, if any: the service's own, else every 503's and IDEMPOTENCY_IN_PROGRESS's default. */
function retryAfterOf(error: DomainError, status: number): number | undefined {
  if (error.retryAfterSeconds !== undefined) return error.retryAfterSeconds;
  if (status === 503) return DEFAULT_RETRY_AFTER_SECONDS;
  return error.code === "IDEMPOTENCY_IN_PROGRESS" ? IN_PROGRESS_RETRY_AFTER_SECONDS : undefined;
}

/** The only place a problem+json response is made. */
export function problemResponse(error: DomainError, requestId: string, headers: HeadersInit = {}): Response {
  const body = problemBody(error, requestId);
  const h = new Headers(headers);
  h.set("content-type", "application/problem+json");
  // RFC 9110: a 401 names the scheme to authenticate with, whichever check refused the caller (a login's included).
  if (body.status === 401 && !h.has("www-authenticate")) h.set("www-authenticate", BEARER_CHALLENGE);
  // Every 503 says when to try again (the OpenAPI document's ServiceUnavailable response promises it), and so does a
  // checkout still running under the key (409 IDEMPOTENCY_IN_PROGRESS).
  const retryAfter = retryAfterOf(error, body.status);
  if (retryAfter !== undefined && !h.has("retry-after")) h.set("retry-after", String(retryAfter));
  return new Response(JSON.stringify(body), { status: body.status, headers: h });
}

/**
 * True when an RPC failed because the receiver (a Worker or Durable Object of
 * another version, as during a gradual rollout) has no such method: workerd
 * says `The RPC receiver does not implement the method "name".`
 */
export function isMissingRpcMethod(err: unknown, method?: string): boolean {
  const m = /does not implement the method "([^"]+)"/.exec(String(err));
  return m !== null && (method === undefined || m[1] === method);
}

/**
 * Calls `current`, an RPC method this release added; when the receiver is of
 * the release before (a rollout under way) and has no `method` yet, answers
 * with `previous`, that release's call, instead. Each use is transitional:
 * drop it once every receiver runs this release.
 */
export async function orPreviousRelease<T>(method: string, current: () => Promise<T>, previous: () => Promise<T>): Promise<T> {
  try {
    return await current();
  } catch (err) {
    if (!isMissingRpcMethod(err, method)) throw err;
    return previous();
  }
}

/**
 * Thrown for an expected condition whose outcome is not known yet (a payment
 * provider's answer lost and not readable back), where the caller's retry is
 * the control flow: callers of every release already retry a throw, while a
 * new refusal code would read as a refusal. Its message starts with
 * `RETRY_LATER_MARK` (a message survives RPC, a class does not), so Sentry
 * leaves it out (`scrubEvent`): it is logged, not reported as a bug.
 */
export const RETRY_LATER_MARK = "[retry later]";
export class RetryLater extends Error {
  constructor(detail: string) {
    super(`${RETRY_LATER_MARK} ${detail}`);
    this.name = "RetryLater";
  }
}
