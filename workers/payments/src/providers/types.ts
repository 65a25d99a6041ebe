import { fail, type DomainError, type ErrorCode, type Result } from "../../../../shared/errors.ts";
import type { Money } from "../../../../shared/schemas/common.ts";
import type { WebhookEvent } from "../../../../shared/schemas/payments.ts";

/** What a provider learned from an approved authorization. */
export interface ProviderAuthorization {
  /** The provider's id for the authorization (Stripe: the PaymentIntent id). */
  providerRef: string;
  last4?: string;
}

export interface AuthorizeRequest {
  paymentId: string;
  orderId: string;
  userId: string;
  amount: Money;
  /** A provider token (tok_..., pm_...): never a card number. */
  token: string;
  /** Sent as the provider's idempotency key, so a retried call cannot authorize twice. */
  idempotencyKey: string;
}

export interface ProviderOperation {
  providerRef: string;
  amount: Money;
  idempotencyKey: string;
}

/**
 * How a provider call ended, in three kinds that must never be confused:
 * - `done`: the provider did it;
 * - `refused`: the provider answered that it did nothing (a declined card, a request it rejects);
 * - `unknown`: no answer we can trust (the connection failed or timed out, a 5xx, a 409/429, a
 *   body we cannot read). It may or may not have acted, so the caller finds out (`lookup`)
 *   before it reports anything.
 */
export type ProviderOutcome<T> =
  | { kind: "done"; value: T }
  | { kind: "refused"; error: DomainError }
  | { kind: "unknown"; detail: string };

/**
 * What the provider holds for one authorization, in edgeshop's words (Stripe: the
 * PaymentIntent and its charge). `other` is a state edgeshop never leaves a payment in
 * (Stripe's `processing`, `requires_action`, ...); `providerStatus` names it.
 */
export interface ProviderPaymentState {
  providerRef: string;
  status: "authorized" | "captured" | "voided" | "refunded" | "other";
  providerStatus: string;
}

/**
 * A payment provider. Each operation comes in two forms: `try*` tells done,
 * refused and unknown apart (the PaymentDO uses these, and reads the truth with
 * `lookup` when an answer is lost); the plain form folds that into a `Result`
 * (`PAYMENT_DECLINED`, `PAYMENT_PROVIDER_ERROR`), where a lost answer reads as an
 * error. Every call passes the idempotency key through, so a retry of the same
 * call cannot act twice.
 */
export interface PaymentProvider {
  readonly name: string;
  tryAuthorize(req: AuthorizeRequest): Promise<ProviderOutcome<ProviderAuthorization>>;
  tryCapture(req: ProviderOperation): Promise<ProviderOutcome<null>>;
  tryVoid(req: ProviderOperation): Promise<ProviderOutcome<null>>;
  tryRefund(req: ProviderOperation): Promise<ProviderOutcome<{ refundRef: string }>>;
  /** Reads what the provider holds for an authorization now; changes nothing, carries no idempotency key. */
  lookup(providerRef: string): Promise<ProviderOutcome<ProviderPaymentState>>;
  /**
   * Finds the authorizations made for a payment id (by the metadata sent with them), for
   * an authorization whose answer was lost. Never creates anything; may lag behind.
   */
  findByPaymentId(paymentId: string): Promise<ProviderOutcome<ProviderPaymentState[]>>;
  authorize(req: AuthorizeRequest): Promise<Result<ProviderAuthorization>>;
  capture(req: ProviderOperation): Promise<Result<null>>;
  void(req: ProviderOperation): Promise<Result<null>>;
  refund(req: ProviderOperation): Promise<Result<{ refundRef: string }>>;
  /** Verifies the signature header over the raw body and parses the event. */
  parseWebhook(rawBody: string, signatureHeader: string | null, nowSeconds: number): Promise<Result<WebhookEvent>>;
}

export function done<T>(value: T): { kind: "done"; value: T } {
  return { kind: "done", value };
}

export function refused(code: ErrorCode, detail?: string): { kind: "refused"; error: DomainError } {
  return { kind: "refused", error: fail(code, detail).error };
}

export function unknown(detail: string): { kind: "unknown"; detail: string } {
  return { kind: "unknown", detail };
}

/** An outcome in one word, for logs and the PaymentDO's `provider_calls`. */
export function outcomeLabel(outcome: ProviderOutcome<unknown>): string {
  return outcome.kind === "done" ? "ok" : outcome.kind === "refused" ? outcome.error.code : "unknown";
}

/** An outcome as a `Result`: a refusal's error as it is, an unknown outcome as `PAYMENT_PROVIDER_ERROR`. */
export function folded<T>(outcome: ProviderOutcome<T>): Result<T> {
  if (outcome.kind === "done") return { ok: true, value: outcome.value };
  if (outcome.kind === "refused") return { ok: false, error: outcome.error };
  return { ok: false, error: { code: "PAYMENT_PROVIDER_ERROR", detail: outcome.detail } };
}

/** The configuration providers read (a subset of PaymentsEnv, so tests can pass plain objects). */
export interface ProviderConfig {
  PAYMENT_PROVIDER: string;
  TEST_PROVIDER_LATENCY_MS?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_API_BASE?: string;
  PAYMENT_WEBHOOK_SECRET: string;
}
