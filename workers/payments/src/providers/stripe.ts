import { z } from "@hono/zod-openapi";
import { fail, ok, type Result } from "../../../../shared/errors.ts";
import type { WebhookEvent } from "../../../../shared/schemas/payments.ts";
import { verifyAndParseWebhook } from "../webhook-signature.ts";
import type { AuthorizeRequest, PaymentProvider, ProviderAuthorization, ProviderOperation } from "./types.ts";

export const DEFAULT_STRIPE_API_BASE = "https://api.stripe.com";

/** Pinned so a change of the account's default API version cannot change response shapes under us. */
const STRIPE_VERSION = "2025-09-30.clover";

const IntentSchema = z.object({
  id: z.string(),
  status: z.string(),
  payment_method: z.union([z.string(), z.object({ card: z.object({ last4: z.string() }).nullish() }), z.null()]).optional(),
});
const RefundSchema = z.object({ id: z.string(), status: z.string().nullish() });
const ErrorSchema = z.object({
  error: z.object({ type: z.string(), code: z.string().optional(), decline_code: z.string().optional(), message: z.string().optional() }),
});

type Params = Record<string, string>;
type Call<T> = { ok: true; body: T } | { ok: false; declined: boolean; detail: string };

/**
 * Stripe over its REST API with `fetch`: authorize = a PaymentIntent with
 * `capture_method=manual` confirmed at once, then capture, cancel (void) and
 * refunds. Every POST carries an `Idempotency-Key`, so a retried call (after a
 * timeout or a crash) returns Stripe's first result instead of charging twice.
 */
export class StripeProvider implements PaymentProvider {
  readonly name = "stripe";

  constructor(
    private readonly secretKey: string,
    private readonly webhookSecret: string,
    private readonly apiBase: string = DEFAULT_STRIPE_API_BASE,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  async authorize(req: AuthorizeRequest): Promise<Result<ProviderAuthorization>> {
    const params: Params = {
      amount: String(req.amount.amount),
      currency: req.amount.currency.toLowerCase(),
      capture_method: "manual",
      confirm: "true",
      "payment_method_types[]": "card",
      "expand[]": "payment_method",
      "metadata[payment_id]": req.paymentId,
      "metadata[order_id]": req.orderId,
      "metadata[user_id]": req.userId,
    };
    // PaymentMethod ids go in as they are; legacy card tokens (tok_...) are wrapped, as Stripe documents.
    if (req.token.startsWith("pm_")) params.payment_method = req.token;
    else Object.assign(params, { "payment_method_data[type]": "card", "payment_method_data[card][token]": req.token });
    const res = await this.post("/v1/payment_intents", params, req.idempotencyKey, IntentSchema);
    if (!res.ok) return fail(res.declined ? "PAYMENT_DECLINED" : "PAYMENT_PROVIDER_ERROR", res.detail);
    if (res.body.status !== "requires_capture") return fail("PAYMENT_DECLINED", `The payment was not authorized (${res.body.status}).`);
    const pm = res.body.payment_method;
    const last4 = pm && typeof pm === "object" ? pm.card?.last4 : undefined;
    return ok({ providerRef: res.body.id, ...(last4 ? { last4 } : {}) });
  }

  async capture(req: ProviderOperation): Promise<Result<null>> {
    const path = `/v1/payment_intents/${encodeURIComponent(req.providerRef)}/capture`;
    const res = await this.post(path, { amount_to_capture: String(req.amount.amount) }, req.idempotencyKey, IntentSchema);
    return this.expect(res, "succeeded");
  }

  async void(req: ProviderOperation): Promise<Result<null>> {
    const path = `/v1/payment_intents/${encodeURIComponent(req.providerRef)}/cancel`;
    const res = await this.post(path, { cancellation_reason: "abandoned" }, req.idempotencyKey, IntentSchema);
    return this.expect(res, "canceled");
  }

  async refund(req: ProviderOperation): Promise<Result<{ refundRef: string }>> {
    const params = { payment_intent: req.providerRef, amount: String(req.amount.amount) };
    const res = await this.post("/v1/refunds", params, req.idempotencyKey, RefundSchema);
    if (!res.ok) return fail("PAYMENT_PROVIDER_ERROR", res.detail);
    if (res.body.status === "failed" || res.body.status === "canceled") return fail("PAYMENT_PROVIDER_ERROR", `The refund ${res.body.status}.`);
    return ok({ refundRef: res.body.id });
  }

  parseWebhook(rawBody: string, signatureHeader: string | null, nowSeconds: number): Promise<Result<WebhookEvent>> {
    return verifyAndParseWebhook(this.webhookSecret, rawBody, signatureHeader, nowSeconds);
  }

  private expect(res: Call<z.infer<typeof IntentSchema>>, status: string): Result<null> {
    if (!res.ok) return fail("PAYMENT_PROVIDER_ERROR", res.detail);
    if (res.body.status !== status) return fail("PAYMENT_PROVIDER_ERROR", `Stripe answered status ${res.body.status}, expected ${status}.`);
    return ok(null);
  }

  /** One form-encoded POST; network errors, 5xx and unparseable bodies are provider errors. */
  private async post<T>(path: string, params: Params, idempotencyKey: string, schema: z.ZodType<T>): Promise<Call<T>> {
    let response: Response;
    try {
      response = await this.fetcher(`${this.apiBase.replace(/\/$/, "")}${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.secretKey}`,
          "content-type": "application/x-www-form-urlencoded",
          "idempotency-key": idempotencyKey,
          "stripe-version": STRIPE_VERSION,
        },
        body: new URLSearchParams(params).toString(),
      });
    } catch (err) {
      console.error(JSON.stringify({ level: "error", worker: "payments", msg: "stripe unreachable", path, error: String(err) }));
      return { ok: false, declined: false, detail: "The payment provider could not be reached." };
    }
    const json: unknown = await response.json().catch(() => null);
    if (response.ok) {
      const body = schema.safeParse(json);
      return body.success ? { ok: true, body: body.data } : { ok: false, declined: false, detail: "The payment provider sent an unexpected answer." };
    }
    const error = ErrorSchema.safeParse(json);
    // card_error (402) is the customer's card; invalid_request_error on authorize is a bad or unknown token.
    const declined = error.success && (error.data.error.type === "card_error" || (response.status === 400 && error.data.error.type === "invalid_request_error"));
    const detail = error.success ? (error.data.error.message ?? error.data.error.code ?? "Declined") : `The payment provider answered ${response.status}.`;
    if (!declined) console.error(JSON.stringify({ level: "error", worker: "payments", msg: "stripe error", path, status: response.status, code: error.data?.error.code }));
    return { ok: false, declined, detail };
  }
}
