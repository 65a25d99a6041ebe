import type { Result } from "../../../../shared/errors.ts";
import type { WebhookEvent } from "../../../../shared/schemas/payments.ts";
import { verifyAndParseWebhook } from "../webhook-signature.ts";
import { done, folded, refused, unknown, type AuthorizeRequest, type PaymentProvider, type ProviderAuthorization, type ProviderOperation, type ProviderOutcome, type ProviderPaymentState } from "./types.ts";
import { own } from "../../../../shared/records.ts";

/** Approving tokens and the last4 they stand for (API.md). */
const APPROVED: Record<string, string> = { tok_visa: "4242", tok_mastercard: "4444" };

const DECLINED: Record<string, string> = {
  tok_chargeDeclined: "The card was declined.",
  tok_insufficientFunds: "The card has insufficient funds.",
};

const PROCESSING_ERROR = "tok_processingError";


/**
 * The built-in deterministic provider: the outcome depends on the token only,
 * capture/void/refund always succeed, and every call waits `latencyMs` so load
 * tests see a realistic provider round trip.
 */
export class TestProvider implements PaymentProvider {
  readonly name = "test";

  constructor(
    private readonly latencyMs: number,
    private readonly webhookSecret: string,
  ) {}

  async tryAuthorize(req: AuthorizeRequest): Promise<ProviderOutcome<ProviderAuthorization>> {
    await this.delay();
    const last4 = own(APPROVED, req.token);
    if (last4 !== undefined) return done({ providerRef: `test_${req.paymentId}`, last4 });
    const declined = DECLINED[req.token];
    if (declined !== undefined) return refused("PAYMENT_DECLINED", declined);
    // A definite failure: this provider never leaves an outcome in doubt.
    if (req.token === PROCESSING_ERROR) return refused("PAYMENT_PROVIDER_ERROR", "The payment provider could not process the payment.");
    return refused("PAYMENT_DECLINED", "The payment token is unknown to the payment provider.");
  }

  async tryCapture(_req: ProviderOperation): Promise<ProviderOutcome<null>> {
    await this.delay();
    return done(null);
  }

  async tryVoid(_req: ProviderOperation): Promise<ProviderOutcome<null>> {
    await this.delay();
    return done(null);
  }

  async tryRefund(req: ProviderOperation): Promise<ProviderOutcome<{ refundRef: string }>> {
    await this.delay();
    return done({ refundRef: `test_re_${req.providerRef}` });
  }

  /** Never needed (no call of this provider ends unknown), and it keeps no state to read. */
  async lookup(_providerRef: string): Promise<ProviderOutcome<ProviderPaymentState>> {
    return unknown("The test provider keeps no record of payments.");
  }

  async findByPaymentId(_paymentId: string): Promise<ProviderOutcome<ProviderPaymentState[]>> {
    return done([]);
  }

  async authorize(req: AuthorizeRequest): Promise<Result<ProviderAuthorization>> {
    return folded(await this.tryAuthorize(req));
  }

  async capture(req: ProviderOperation): Promise<Result<null>> {
    return folded(await this.tryCapture(req));
  }

  async void(req: ProviderOperation): Promise<Result<null>> {
    return folded(await this.tryVoid(req));
  }

  async refund(req: ProviderOperation): Promise<Result<{ refundRef: string }>> {
    return folded(await this.tryRefund(req));
  }

  parseWebhook(rawBody: string, signatureHeader: string | null, nowSeconds: number): Promise<Result<WebhookEvent>> {
    return verifyAndParseWebhook(this.webhookSecret, rawBody, signatureHeader, nowSeconds);
  }

  private async delay(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}
