import type { Result } from "../../../shared/errors.ts";
import { CarrierWebhookSchema } from "../../../shared/schemas/shipping.ts";
import type { ShipmentEventStatus } from "../../../shared/schemas/shipping.ts";
import { signWebhook, verifyAndParse } from "../../../shared/webhook-signature.ts";

/** Only for local development, where no secret is configured (API.md-style default). */
export const LOCAL_CARRIER_WEBHOOK_SECRET = "whsec_carrier_local";

/** Carriers sign exactly like payment providers; tests play the carrier with this. */
export const signCarrierWebhook = signWebhook;

export interface CarrierEvent {
  trackingNumber: string;
  status: ShipmentEventStatus;
}

/** A carrier's tracking report: signature first, then `{trackingNumber, status}`. */
export function verifyAndParseCarrierWebhook(secret: string, rawBody: string, header: string | null, nowSeconds: number): Promise<Result<CarrierEvent>> {
  return verifyAndParse(CarrierWebhookSchema, "carrier event", secret, rawBody, header, nowSeconds);
}
