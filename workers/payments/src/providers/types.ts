import type { Result } from "../../../../shared/errors.ts";
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
 * A payment provider. Every method returns expected failures as values
 * (`PAYMENT_DECLINED`, `PAYMENT_PROVIDER_ERROR`) and passes the idempotency
 * key through, so callers may retry any call after a crash or timeout.
 */
export interface PaymentProvider {
  readonly name: string;
  authorize(req: AuthorizeRequest): Promise<Result<ProviderAuthorization>>;
  capture(req: ProviderOperation): Promise<Result<null>>;
  void(req: ProviderOperation): Promise<Result<null>>;
  refund(req: ProviderOperation): Promise<Result<{ refundRef: string }>>;
  /** Verifies the signature header over the raw body and parses the event. */
  parseWebhook(rawBody: string, signatureHeader: string | null, nowSeconds: number): Promise<Result<WebhookEvent>>;
}

/** The configuration providers read (a subset of PaymentsEnv, so tests can pass plain objects). */
export interface ProviderConfig {
  PAYMENT_PROVIDER: string;
  TEST_PROVIDER_LATENCY_MS?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_API_BASE?: string;
  PAYMENT_WEBHOOK_SECRET: string;
}
