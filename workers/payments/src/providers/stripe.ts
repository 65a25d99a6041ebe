import { z } from "@hono/zod-openapi";
import type { Result } from "../../../../shared/errors.ts";
import type { WebhookEvent } from "../../../../shared/schemas/payments.ts";
import { verifyAndParseWebhook } from "../webhook-signature.ts";
import { done, folded, refused, unknown } from "./types.ts";
import type { AuthorizeRequest, PaymentProvider, ProviderAuthorization, ProviderOperation, ProviderOutcome, ProviderPaymentState } from "./types.ts";
import { errorText } from "../../../../shared/observability.ts";

export const DEFAULT_STRIPE_API_BASE = "https://api.stripe.com";

/** Pinned so a change of the account's default API version cannot change response shapes under us. */
const STRIPE_VERSION = "2025-09-30.clover";

/**
 * How long one call to Stripe may take. A call that takes longer is abandoned and its outcome
 * is unknown (Stripe may still act on it), which the PaymentDO then reads back; without a bound a
 * hung connection would hold the PaymentDO's queue, and the order saga with it.
 */
export const STRIPE_TIMEOUT_MS = 5_000; // two authorize attempts fit the gateway's 15 s checkout timeout with room to spare

const ChargeSchema = z.object({ id: z.string(), amount: z.number(), amount_captured: z.number().optional(), amount_refunded: z.number(), refunded: z.boolean() });
const IntentSchema = z.object({
  id: z.string(),
  status: z.string(),
  payment_method: z.union([z.string(), z.object({ card: z.object({ last4: z.string() }).nullish() }), z.null()]).optional(),
  latest_charge: z.union([z.string(), ChargeSchema, z.null()]).optional(),
});
const SearchSchema = z.object({ data: z.array(IntentSchema) });
const RefundSchema = z.object({ id: z.string(), status: z.string().nullish() });
const ErrorSchema = z.object({
  error: z.object({ type: z.string(), code: z.string().optional(), decline_code: z.string().optional(), message: z.string().optional() }),
});

type Params = Record<string, string>;
type Intent = z.infer<typeof IntentSchema>;
/** One HTTP exchange, classified: `declined` marks a refusal that is about the customer's card or token. */
type Answer<T> = { kind: "done"; body: T } | { kind: "refused"; declined: boolean; detail: string } | { kind: "unknown"; detail: string };

/** A PaymentIntent (with its charge expanded) in edgeshop's statuses; a refund lives on the charge. */
function stateOf(pi: Intent): ProviderPaymentState {
  const charge = pi.latest_charge && typeof pi.latest_charge === "object" ? pi.latest_charge : null;
  const base = { providerRef: pi.id, providerStatus: pi.status };
  switch (pi.status) {
    case "requires_capture": return { ...base, status: "authorized" };
    case "canceled": return { ...base, status: "voided" };
    case "succeeded": {
      if (!charge) return { ...base, status: "other" }; // without the charge a refund cannot be seen
      const fully = charge.refunded || charge.amount_refunded >= (charge.amount_captured ?? charge.amount);
      return { ...base, status: fully ? "refunded" : "captured" };
    }
    default: return { ...base, status: "other" };
  }
}

/**
 * Stripe over its REST API with `fetch`: authorize = a PaymentIntent with
 * `capture_method=manual` confirmed at once, then capture, cancel (void) and
 * refunds. Every POST carries an `Idempotency-Key`, so a retried call (after a
 * timeout or a crash) returns Stripe's first result instead of charging twice.
 * Stripe saves that first result once the endpoint started, a 500 included, so
 * a lost or 5xx answer is `unknown`, never a refusal: the PaymentDO reads the
 * PaymentIntent back (`lookup`, not idempotency-keyed) to learn what happened.
 */
export class StripeProvider implements PaymentProvider {
  readonly name = "stripe";

  constructor(
    private readonly secretKey: string,
    private readonly webhookSecret: string,
    private readonly apiBase: string = DEFAULT_STRIPE_API_BASE,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
    private readonly timeoutMs: number = STRIPE_TIMEOUT_MS,
  ) {}

  async tryAuthorize(req: AuthorizeRequest): Promise<ProviderOutcome<ProviderAuthorization>> {
    const params: Params = {
      amount: String(req.amount.amount),
      currency: req.amount.currency.toLowerCase(),
      capture_method: "manual",
      confirm: "true",
      "payment_method_types[]": "card",
      "expand[]": "payment_method",
      // What `findByPaymentId` searches by, should this call's answer be lost.
      "metadata[payment_id]": req.paymentId,
      "metadata[order_id]": req.orderId,
      "metadata[user_id]": req.userId,
    };
    // PaymentMethod ids go in as they are; legacy card tokens (tok_...) are wrapped, as Stripe documents.
    if (req.token.startsWith("pm_")) params.payment_method = req.token;
    else Object.assign(params, { "payment_method_data[type]": "card", "payment_method_data[card][token]": req.token });
    const res = await this.send("POST", "/v1/payment_intents", params, req.idempotencyKey, IntentSchema);
    if (res.kind === "unknown") return res;
    if (res.kind === "refused") return refused(res.declined ? "PAYMENT_DECLINED" : "PAYMENT_PROVIDER_ERROR", res.detail);
    if (res.body.status !== "requires_capture") return refused("PAYMENT_DECLINED", `The payment was not authorized (${res.body.status}).`);
    const pm = res.body.payment_method;
    const last4 = pm && typeof pm === "object" ? pm.card?.last4 : undefined;
    return done({ providerRef: res.body.id, ...(last4 ? { last4 } : {}) });
  }

  async tryCapture(req: ProviderOperation): Promise<ProviderOutcome<null>> {
    const path = `/v1/payment_intents/${encodeURIComponent(req.providerRef)}/capture`;
    return this.expect(await this.send("POST", path, { amount_to_capture: String(req.amount.amount) }, req.idempotencyKey, IntentSchema), "succeeded");
  }

  async tryVoid(req: ProviderOperation): Promise<ProviderOutcome<null>> {
    const path = `/v1/payment_intents/${encodeURIComponent(req.providerRef)}/cancel`;
    return this.expect(await this.send("POST", path, { cancellation_reason: "abandoned" }, req.idempotencyKey, IntentSchema), "canceled");
  }

  async tryRefund(req: ProviderOperation): Promise<ProviderOutcome<{ refundRef: string }>> {
    const params = { payment_intent: req.providerRef, amount: String(req.amount.amount) };
    const res = await this.send("POST", "/v1/refunds", params, req.idempotencyKey, RefundSchema);
    if (res.kind === "unknown") return res;
    if (res.kind === "refused") return refused("PAYMENT_PROVIDER_ERROR", res.detail);
    if (res.body.status === "failed" || res.body.status === "canceled") return refused("PAYMENT_PROVIDER_ERROR", `The refund ${res.body.status}.`);
    return done({ refundRef: res.body.id });
  }

  async lookup(providerRef: string): Promise<ProviderOutcome<ProviderPaymentState>> {
    const path = `/v1/payment_intents/${encodeURIComponent(providerRef)}?expand[]=latest_charge`;
    const res = await this.send("GET", path, null, null, IntentSchema);
    if (res.kind === "done") return done(stateOf(res.body));
    return res.kind === "unknown" ? res : refused("PAYMENT_PROVIDER_ERROR", res.detail);
  }

  /**
   * Stripe's search (`metadata['payment_id']`). It never creates a PaymentIntent, unlike a
   * replayed create after Stripe forgot the key, but its index lags (under a minute normally,
   * up to an hour in an outage) and it is not offered in every country (then `refused`).
   */
  async findByPaymentId(paymentId: string): Promise<ProviderOutcome<ProviderPaymentState[]>> {
    const query = `metadata['payment_id']:'${paymentId.replace(/['\\]/g, "\\$&")}'`;
    const path = `/v1/payment_intents/search?query=${encodeURIComponent(query)}&expand[]=data.latest_charge&limit=100`;
    const res = await this.send("GET", path, null, null, SearchSchema);
    if (res.kind === "done") return done(res.body.data.map(stateOf));
    return res.kind === "unknown" ? res : refused("PAYMENT_PROVIDER_ERROR", res.detail);
  }

  authorize(req: AuthorizeRequest): Promise<Result<ProviderAuthorization>> {
    return this.tryAuthorize(req).then(folded);
  }

  capture(req: ProviderOperation): Promise<Result<null>> {
    return this.tryCapture(req).then(folded);
  }

  void(req: ProviderOperation): Promise<Result<null>> {
    return this.tryVoid(req).then(folded);
  }

  refund(req: ProviderOperation): Promise<Result<{ refundRef: string }>> {
    return this.tryRefund(req).then(folded);
  }

  parseWebhook(rawBody: string, signatureHeader: string | null, nowSeconds: number): Promise<Result<WebhookEvent>> {
    return verifyAndParseWebhook(this.webhookSecret, rawBody, signatureHeader, nowSeconds);
  }

  /** A 2xx naming another status than the one asked for means Stripe acted in some way: unknown, not refused. */
  private expect(res: Answer<Intent>, status: string): ProviderOutcome<null> {
    if (res.kind === "unknown") return res;
    if (res.kind === "refused") return refused("PAYMENT_PROVIDER_ERROR", res.detail);
    if (res.body.status !== status) return unknown(`Stripe answered status ${res.body.status}, expected ${status}.`);
    return done(null);
  }

  /**
   * One request, classified. Unknown: the request threw or timed out, a 5xx, 409 (a request with
   * this key still running) or 429, or a 2xx whose body cannot be read. Refused: any other 4xx,
   * which Stripe answers without acting.
   */
  private async send<T>(method: "GET" | "POST", path: string, params: Params | null, idempotencyKey: string | null, schema: z.ZodType<T>): Promise<Answer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.secretKey}`, "stripe-version": STRIPE_VERSION };
    if (params) headers["content-type"] = "application/x-www-form-urlencoded";
    if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    let json: unknown;
    const where = path.split("?")[0];
    try {
      response = await this.fetcher(`${this.apiBase.replace(/\/$/, "")}${path}`, {
        method, headers, signal, ...(params ? { body: new URLSearchParams(params).toString() } : {}),
      });
      json = await response.json().catch((err: unknown) => (signal.aborted ? Promise.reject(err) : null));
    } catch (err) {
      const timedOut = signal.aborted;
      console.error(JSON.stringify({ level: "error", worker: "payments", msg: timedOut ? "stripe timed out" : "stripe unreachable", path: where, error: errorText(err) }));
      return unknown(timedOut ? "The payment provider did not answer in time." : "The payment provider could not be reached.");
    }
    if (response.ok) {
      const body = schema.safeParse(json);
      return body.success ? { kind: "done", body: body.data } : unknown("The payment provider sent an unexpected answer.");
    }
    const error = ErrorSchema.safeParse(json);
    const detail = error.success ? (error.data.error.message ?? error.data.error.code ?? "Declined") : `The payment provider answered ${response.status}.`;
    if (response.status >= 500 || response.status === 409 || response.status === 429) {
      console.error(JSON.stringify({ level: "error", worker: "payments", msg: "stripe error", path: where, status: response.status, code: error.data?.error.code }));
      return unknown(detail);
    }
    // card_error (402) is the customer's card; invalid_request_error on authorize is a bad or unknown token.
    const declined = error.success && (error.data.error.type === "card_error" || (response.status === 400 && error.data.error.type === "invalid_request_error"));
    if (!declined) console.error(JSON.stringify({ level: "error", worker: "payments", msg: "stripe error", path: where, status: response.status, code: error.data?.error.code }));
    return { kind: "refused", declined, detail };
  }
}
