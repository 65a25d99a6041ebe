import { fail, ok, type Result } from "../../../../shared/errors.ts";
import type { WebhookEvent } from "../../../../shared/schemas/payments.ts";
import { verifyAndParseWebhook } from "../webhook-signature.ts";
import type { AuthorizeRequest, PaymentProvider, ProviderAuthorization, ProviderOperation } from "./types.ts";
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

  async authorize(req: AuthorizeRequest): Promise<Result<ProviderAuthorization>> {
    await this.delay();
    const last4 = own(APPROVED, req.token);
    if (last4 !== undefined) return ok({ providerRef: `test_${req.paymentId}`, last4 });
    const declined = DECLINED[req.token];
    if (declined !== undefined) return fail("PAYMENT_DECLINED", declined);
    if (req.token === PROCESSING_ERROR) return fail("PAYMENT_PROVIDER_ERROR", "The payment provider could not process the payment.");
    return fail("PAYMENT_DECLINED", "The payment token is unknown to the payment provider.");
  }

  async capture(_req: ProviderOperation): Promise<Result<null>> {
    await this.delay();
    return ok(null);
  }

  async void(_req: ProviderOperation): Promise<Result<null>> {
    await this.delay();
    return ok(null);
  }

  async refund(req: ProviderOperation): Promise<Result<{ refundRef: string }>> {
    await this.delay();
    return ok({ refundRef: `test_re_${req.providerRef}` });
  }

  parseWebhook(rawBody: string, signatureHeader: string | null, nowSeconds: number): Promise<Result<WebhookEvent>> {
    return verifyAndParseWebhook(this.webhookSecret, rawBody, signatureHeader, nowSeconds);
  }

  private async delay(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}
