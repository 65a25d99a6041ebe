/**
 * A small in-memory stand-in for the parts of Stripe's REST API edgeshop uses
 * (PaymentIntents with manual capture, capture, cancel, refunds, retrieve and
 * search), answering as Stripe documents: form-encoded requests,
 * `Idempotency-Key` replay (same key + same parameters -> the saved response
 * with `Idempotent-Replayed: true`, different parameters -> 400
 * idempotency_error), card errors as 402, a charge per PaymentIntent that
 * refunds are counted on. Stripe saves a key's result once the endpoint began
 * executing, a 500 included, and replays it; the faults below model that.
 * `handle` is a plain fetch handler, so it runs in workerd or in Node.
 */
export interface FakeStripeCall {
  method: string;
  path: string;
  idempotencyKey: string | null;
  replayed: boolean;
  params: Record<string, string>;
}

/**
 * How the next request fails:
 * - `after`: Stripe acts, then answers 500, and saves that 500 under the key (a retry with the key gets it again);
 * - `saved`: Stripe began executing and failed before acting: a 500, saved under the key;
 * - `drop`: Stripe acts and saves its answer, but the connection drops before the answer arrives.
 * (`failNext` is a 500 before execution began: nothing acted, nothing saved.)
 */
export type FakeStripeFault = "after" | "saved" | "drop";

/** Thrown by `handle` for a `drop` fault: the HTTP harness destroys the socket, a direct caller sees fetch reject. */
export class FakeStripeDrop extends Error {
  constructor() {
    super("connection dropped by the fake Stripe");
  }
}

/** The secret key the fake accepts (`Authorization: Bearer ...`), as the payments Worker is configured in tests. */
export const FAKE_STRIPE_KEY = "sk_test_fake";

/** The signing secret of the Stripe webhook endpoint the Stripe-provider test projects configure (tests sign events with it). */
export const FAKE_STRIPE_WEBHOOK_SECRET = "whsec_test_fake_endpoint";

export interface Charge {
  id: string;
  object: "charge";
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  refunded: boolean;
  currency: string;
  payment_intent: string;
  /** The PaymentIntent's, copied when it was confirmed (as Stripe does, once). */
  metadata: Record<string, string>;
}

interface Intent {
  id: string;
  object: "payment_intent";
  amount: number;
  currency: string;
  status: "requires_capture" | "succeeded" | "canceled";
  capture_method: "manual";
  payment_method: string;
  latest_charge: string;
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

const serverError = () => stripeError(500, "api_error", "api_error", "An error occurred with our connection to Stripe.");

export class FakeStripe {
  readonly calls: FakeStripeCall[] = [];
  private readonly intents = new Map<string, Intent>();
  private readonly charges = new Map<string, Charge>();
  private readonly saved = new Map<string, { fingerprint: string; status: number; body: string }>();
  private seq = 0;
  /** Answer the next N requests with 500 api_error before executing them (an outage in front of the API; nothing saved). */
  failNext = 0;
  /** Faults for the next requests, one each, in order (see `FakeStripeFault`). */
  readonly faults: FakeStripeFault[] = [];

  constructor(readonly secretKey = FAKE_STRIPE_KEY) {}

  /** Queues `n` faults of one kind for the next requests. */
  fail(mode: FakeStripeFault, n = 1): void {
    for (let i = 0; i < n; i++) this.faults.push(mode);
  }

  /** Calls that reached the handler logic (not replays): how often the provider really acted. */
  effectiveCalls(pathSuffix: string): FakeStripeCall[] {
    return this.calls.filter((c) => !c.replayed && c.path.endsWith(pathSuffix));
  }

  handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const params = request.method === "GET" ? Object.fromEntries(url.searchParams) : Object.fromEntries(new URLSearchParams(await request.text()));
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
      return serverError();
    }
    const fault = this.faults.shift();
    const save = async (response: Response) => {
      if (key) this.saved.set(key, { fingerprint, status: response.status, body: await response.clone().text() });
      return response;
    };
    if (fault === "saved") return save(serverError());
    const response = await save(this.route(request.method, url.pathname, params));
    if (fault === "drop") throw new FakeStripeDrop();
    return fault === "after" ? save(serverError()) : response;
  };

  /** The state Stripe holds for an intent (tests assert on it). */
  intent(id: string): Intent | undefined {
    return this.intents.get(id);
  }

  /** Every intent created for a payment id (by metadata), with its charge: what a test asserts holds on. */
  intentsFor(paymentId: string): (Intent & { charge: Charge })[] {
    return [...this.intents.values()].filter((i) => i.metadata.payment_id === paymentId).map((i) => ({ ...i, charge: this.charges.get(i.latest_charge)! }));
  }

  private route(method: string, path: string, p: Record<string, string>): Response {
    if (method === "GET") {
      if (path === "/v1/payment_intents/search") return this.search(p);
      const got = path.match(/^\/v1\/payment_intents\/([^/]+)$/);
      if (got) return this.retrieve(got[1]!, p["expand[]"] === "latest_charge");
      return stripeError(404, "invalid_request_error", "resource_missing", "Unrecognized request URL.");
    }
    if (method !== "POST") return stripeError(404, "invalid_request_error", "resource_missing", "Unrecognized request URL.");
    if (path === "/v1/payment_intents") return this.createIntent(p);
    const m = path.match(/^\/v1\/payment_intents\/([^/]+)\/(capture|cancel)$/);
    if (m) return this.transition(m[1]!, m[2] as "capture" | "cancel", p);
    if (path === "/v1/refunds") return this.refund(p);
    return stripeError(404, "invalid_request_error", "resource_missing", "Unrecognized request URL.");
  }

  private view(intent: Intent, expandCharge: boolean): Intent | (Omit<Intent, "latest_charge"> & { latest_charge: Charge }) {
    return expandCharge ? { ...intent, latest_charge: { ...this.charges.get(intent.latest_charge)! } } : { ...intent };
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
    const charge: Charge = {
      id: `ch_fake${this.seq}`, object: "charge", amount: Number(p.amount), amount_captured: 0, amount_refunded: 0, captured: false, refunded: false,
      currency: p.currency ?? "", payment_intent: id, metadata: { ...metadata },
    };
    this.charges.set(charge.id, charge);
    const intent: Intent = {
      id, object: "payment_intent", amount: Number(p.amount), currency: p.currency ?? "", status: "requires_capture", capture_method: "manual",
      payment_method: `pm_fake${this.seq}`, latest_charge: charge.id, metadata,
    };
    this.intents.set(id, intent);
    const expanded = p["expand[]"] === "payment_method";
    return Response.json({ ...intent, payment_method: expanded ? { id: intent.payment_method, object: "payment_method", card: { brand: "visa", last4 } } : intent.payment_method });
  }

  private transition(id: string, action: "capture" | "cancel", p: Record<string, string>): Response {
    const intent = this.intents.get(id);
    if (!intent) return stripeError(404, "invalid_request_error", "resource_missing", `No such payment_intent: '${id}'`);
    if (intent.status !== "requires_capture") {
      return stripeError(400, "invalid_request_error", "payment_intent_unexpected_state", `This PaymentIntent's status is ${intent.status}.`);
    }
    intent.status = action === "capture" ? "succeeded" : "canceled";
    if (action === "capture") Object.assign(this.charges.get(intent.latest_charge)!, { amount_captured: Number(p.amount_to_capture ?? intent.amount), captured: true });
    return Response.json(this.view(intent, false));
  }

  private retrieve(id: string, expandCharge: boolean): Response {
    const intent = this.intents.get(id);
    if (!intent) return stripeError(404, "invalid_request_error", "resource_missing", `No such payment_intent: '${id}'`);
    return Response.json(this.view(intent, expandCharge));
  }

  /** Only the one query form edgeshop sends: `metadata['<key>']:'<value>'`. */
  private search(p: Record<string, string>): Response {
    const m = (p.query ?? "").match(/^metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'$/);
    if (!m) return stripeError(400, "invalid_request_error", "parameter_invalid", "fake search understands metadata['key']:'value' only");
    const value = m[2]!.replace(/\\(.)/g, "$1");
    const data = [...this.intents.values()].filter((i) => i.metadata[m[1]!] === value).map((i) => this.view(i, p["expand[]"] === "data.latest_charge"));
    return Response.json({ object: "search_result", url: "/v1/payment_intents/search", has_more: false, data });
  }

  private refund(p: Record<string, string>): Response {
    const intent = this.intents.get(p.payment_intent ?? "");
    if (!intent) return stripeError(404, "invalid_request_error", "resource_missing", "No such payment_intent");
    if (intent.status !== "succeeded") return stripeError(400, "invalid_request_error", "charge_not_captured", "This PaymentIntent has not been captured.");
    const charge = this.charges.get(intent.latest_charge)!;
    const amount = Number(p.amount ?? charge.amount_captured - charge.amount_refunded);
    if (charge.refunded) return stripeError(400, "invalid_request_error", "charge_already_refunded", `Charge ${charge.id} has already been refunded.`);
    if (charge.amount_refunded + amount > charge.amount_captured) return stripeError(400, "invalid_request_error", "amount_too_large", "Refund amount is greater than unrefunded amount on charge.");
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount_captured;
    return Response.json({ id: `re_fake${++this.seq}`, object: "refund", amount, payment_intent: intent.id, charge: charge.id, status: "succeeded" });
  }
}
