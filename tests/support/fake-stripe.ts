/**
 * A small in-memory stand-in for the parts of Stripe's REST API edgeshop uses
 * (PaymentIntents with manual capture, capture, cancel, refunds), answering as
 * Stripe documents: form-encoded requests, `Idempotency-Key` replay (same key
 * + same parameters -> the saved response with `Idempotent-Replayed: true`,
 * different parameters -> 400 idempotency_error), card errors as 402.
 * `handle` is a plain fetch handler, so it runs in workerd or in Node.
 */
export interface FakeStripeCall {
  method: string;
  path: string;
  idempotencyKey: string | null;
  replayed: boolean;
  params: Record<string, string>;
}

interface Intent {
  id: string;
  object: "payment_intent";
  amount: number;
  currency: string;
  status: "requires_capture" | "succeeded" | "canceled";
  capture_method: "manual";
  payment_method: string;
  metadata: Record<string, string>;
}

const CARDS: Record<string, string> = { tok_visa: "4242", tok_mastercard: "4444", pm_card_visa: "4242", pm_card_mastercard: "4444" };
const DECLINES: Record<string, { decline_code: string; message: string }> = {
  tok_chargeDeclined: { decline_code: "generic_decline", message: "Your card was declined." },
  tok_chargeDeclinedInsufficientFunds: { decline_code: "insufficient_funds", message: "Your card has insufficient funds." },
};

function stripeError(status: number, type: string, code: string, message: string, extra: Record<string, string> = {}): Response {
  return Response.json({ error: { type, code, message, ...extra } }, { status });
}

export class FakeStripe {
  readonly calls: FakeStripeCall[] = [];
  private readonly intents = new Map<string, Intent>();
  private readonly saved = new Map<string, { fingerprint: string; status: number; body: string }>();
  private seq = 0;
  /** Answer the next N requests with 500 api_error (simulates an outage). */
  failNext = 0;

  constructor(readonly secretKey = "sk_test_fake") {}

  /** Calls that reached the handler logic (not replays): how often the provider really acted. */
  effectiveCalls(pathSuffix: string): FakeStripeCall[] {
    return this.calls.filter((c) => !c.replayed && c.path.endsWith(pathSuffix));
  }

  handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const params = Object.fromEntries(new URLSearchParams(await request.text()));
    const key = request.headers.get("idempotency-key");
    if (request.headers.get("authorization") !== `Bearer ${this.secretKey}`) {
      return stripeError(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided.");
    }
    const fingerprint = `${request.method} ${url.pathname} ${JSON.stringify(params)}`;
    const prior = key ? this.saved.get(key) : undefined;
    this.calls.push({ method: request.method, path: url.pathname, idempotencyKey: key, replayed: prior !== undefined, params });
    if (prior) {
      if (prior.fingerprint !== fingerprint) {
        return stripeError(400, "idempotency_error", "idempotency_key_in_use", "Keys for idempotent requests can only be used with the same parameters they were first used with.");
      }
      return new Response(prior.body, { status: prior.status, headers: { "content-type": "application/json", "idempotent-replayed": "true" } });
    }
    if (this.failNext > 0) {
      this.failNext--;
      return stripeError(500, "api_error", "api_error", "An error occurred with our connection to Stripe.");
    }
    const response = this.route(request.method, url.pathname, params);
    const body = await response.clone().text();
    if (key) this.saved.set(key, { fingerprint, status: response.status, body });
    return response;
  };

  private route(method: string, path: string, p: Record<string, string>): Response {
    if (method !== "POST") return stripeError(404, "invalid_request_error", "resource_missing", "Unrecognized request URL.");
    if (path === "/v1/payment_intents") return this.createIntent(p);
    const m = path.match(/^\/v1\/payment_intents\/([^/]+)\/(capture|cancel)$/);
    if (m) return this.transition(m[1]!, m[2] as "capture" | "cancel");
    if (path === "/v1/refunds") return this.refund(p);
    return stripeError(404, "invalid_request_error", "resource_missing", "Unrecognized request URL.");
  }

  private createIntent(p: Record<string, string>): Response {
    if (p.capture_method !== "manual" || p.confirm !== "true") return stripeError(400, "invalid_request_error", "parameter_invalid", "fake expects manual capture, confirmed");
    const token = p["payment_method_data[card][token]"] ?? p.payment_method ?? "";
    const decline = DECLINES[token];
    if (decline) return stripeError(402, "card_error", "card_declined", decline.message, { decline_code: decline.decline_code });
    const last4 = CARDS[token];
    if (!last4) return stripeError(400, "invalid_request_error", "resource_missing", `No such token: '${token}'`, { param: "payment_method_data[card][token]" });
    const id = `pi_fake${++this.seq}`;
    const metadata = Object.fromEntries(Object.entries(p).filter(([k]) => k.startsWith("metadata[")).map(([k, v]) => [k.slice(9, -1), v]));
    const intent: Intent = { id, object: "payment_intent", amount: Number(p.amount), currency: p.currency ?? "", status: "requires_capture", capture_method: "manual", payment_method: `pm_fake${this.seq}`, metadata };
    this.intents.set(id, intent);
    const expanded = p["expand[]"] === "payment_method";
    return Response.json({ ...intent, payment_method: expanded ? { id: intent.payment_method, object: "payment_method", card: { brand: "visa", last4 } } : intent.payment_method });
  }

  private transition(id: string, action: "capture" | "cancel"): Response {
    const intent = this.intents.get(id);
    if (!intent) return stripeError(404, "invalid_request_error", "resource_missing", `No such payment_intent: '${id}'`);
    if (intent.status !== "requires_capture") {
      return stripeError(400, "invalid_request_error", "payment_intent_unexpected_state", `This PaymentIntent's status is ${intent.status}.`);
    }
    intent.status = action === "capture" ? "succeeded" : "canceled";
    return Response.json(intent);
  }

  /** The state Stripe holds for an intent (tests assert on it). */
  intent(id: string): Intent | undefined {
    return this.intents.get(id);
  }

  private refund(p: Record<string, string>): Response {
    const intent = this.intents.get(p.payment_intent ?? "");
    if (!intent) return stripeError(404, "invalid_request_error", "resource_missing", "No such payment_intent");
    if (intent.status !== "succeeded") return stripeError(400, "invalid_request_error", "charge_not_captured", "This PaymentIntent has not been captured.");
    return Response.json({ id: `re_fake${++this.seq}`, object: "refund", amount: Number(p.amount ?? intent.amount), payment_intent: intent.id, status: "succeeded" });
  }
}
