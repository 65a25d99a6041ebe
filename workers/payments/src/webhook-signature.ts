import type { Result } from "../../../shared/errors.ts";
import { WebhookEventSchema, type WebhookEvent } from "../../../shared/schemas/payments.ts";
import { verifyAndParse } from "../../../shared/webhook-signature.ts";

export { signWebhook, verifySignature, WEBHOOK_TOLERANCE_SECONDS } from "../../../shared/webhook-signature.ts";

/** A payment provider webhook: signature first, then the event body (API.md's Payments section). */
export function verifyAndParseWebhook(secret: string, rawBody: string, header: string | null, nowSeconds: number): Promise<Result<WebhookEvent>> {
  return verifyAndParse(WebhookEventSchema, "webhook event", secret, rawBody, header, nowSeconds);
}
