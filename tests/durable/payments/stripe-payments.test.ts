import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import type { PaymentDO } from "../../../durable/payment-do.ts";
import type { PaymentsService } from "../../../workers/payments/src/index.ts";
import { findPans } from "../../../shared/pan.ts";
import type { FakeStripeCall } from "../../support/fake-stripe.ts";

const payEnv = env as unknown as { PAYMENT: DurableObjectNamespace<PaymentDO> };
const service = (exports as unknown as { PaymentsService: Service<typeof PaymentsService> }).PaymentsService;
const FAKE = inject("fakeStripeUrl");
let n = 0;
const newId = (tag: string) => `pay_${tag}_${Date.now().toString(36)}_${n++}`;
const stubFor = (id: string) => payEnv.PAYMENT.get(payEnv.PAYMENT.idFromName(id));
const usd = (amount: number) => ({ amount, currency: "USD" });

/** What the fake Stripe received for one payment (keys are `edgeshop-<paymentId>-<op>`). */
async function stripeCalls(paymentId: string): Promise<FakeStripeCall[]> {
  const all = (await (await fetch(`${FAKE}/__calls`)).json()) as FakeStripeCall[];
  return all.filter((c) => c.idempotencyKey?.startsWith(`edgeshop-${paymentId}-`));
}

async function authorize(token = "tok_visa", amount = 4200) {
  const id = newId("s");
  const stub = stubFor(id);
  const input = { paymentId: id, orderId: `ord_${id}`, userId: "usr_stripe", amount: usd(amount), token };
  return { id, stub, input, first: await stub.authorize(input) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("PaymentDO with the Stripe provider (over HTTP to a fake Stripe)", () => {
  it("authorizes with one manual-capture PaymentIntent; retries are answered from the DO", async () => {
    const { id, stub, input, first } = await authorize();
    expect(first.result).toStrictEqual({
      ok: true,
      value: { id, orderId: input.orderId, userId: "usr_stripe", status: "authorized", amount: usd(4200), provider: "stripe", last4: "4242", createdAt: expect.any(String) },
    });
    expect(first.record?.providerRef).toMatch(/^pi_fake\d+$/);
    await Promise.all(Array.from({ length: 5 }, () => stub.authorize(input)));
    const calls = await stripeCalls(id);
    expect(calls.map((c) => [c.path, c.idempotencyKey, c.replayed])).toStrictEqual([["/v1/payment_intents", `edgeshop-${id}-authorize`, false]]);
    expect(calls[0]!.params).toMatchObject({ amount: "4200", currency: "usd", capture_method: "manual", confirm: "true", "payment_method_data[card][token]": "tok_visa" });
  });

  it("ten concurrent captures reach Stripe once; two refunds refund once", async () => {
    const { id, stub } = await authorize("tok_mastercard");
    const captures = await Promise.all(Array.from({ length: 10 }, () => stub.operate(id, "capture")));
    for (const c of captures) expect(c.result).toMatchObject({ ok: true, value: { status: "captured", last4: "4444", provider: "stripe" } });
    const refunds = await Promise.all([stub.operate(id, "refund"), stub.operate(id, "refund")]);
    for (const r of refunds) expect(r.result).toMatchObject({ ok: true, value: { status: "refunded" } });
    expect((await stripeCalls(id)).map((c) => c.path.replace(/pi_fake\d+/, "{pi}"))).toStrictEqual([
      "/v1/payment_intents", "/v1/payment_intents/{pi}/capture", "/v1/refunds",
    ]);
  });

  it("void cancels the PaymentIntent", async () => {
    const { id, stub } = await authorize();
    expect((await stub.operate(id, "void")).result).toMatchObject({ ok: true, value: { status: "voided" } });
    const calls = await stripeCalls(id);
    expect(calls.map((c) => c.path.replace(/pi_fake\d+/, "{pi}"))).toStrictEqual(["/v1/payment_intents", "/v1/payment_intents/{pi}/cancel"]);
  });

  it.each([
    ["tok_chargeDeclined", "Your card was declined."],
    ["tok_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."],
    ["tok_doesNotExist", "No such token: 'tok_doesNotExist'"],
  ])("%s is PAYMENT_DECLINED and stored as failed", async (token, detail) => {
    const { id, stub, input, first } = await authorize(token);
    expect(first.result).toStrictEqual({ ok: false, error: { code: "PAYMENT_DECLINED", detail } });
    expect(first.record).toMatchObject({ status: "failed", provider: "stripe" });
    expect((await stub.authorize(input)).result).toStrictEqual(first.result);
    expect(await stripeCalls(id)).toHaveLength(1);
  });

  it("a Stripe outage during capture leaves the payment authorized; the retry reuses the key and captures once", async () => {
    const { id, stub } = await authorize();
    await fetch(`${FAKE}/__fail?n=1`, { method: "POST" });
    expect((await stub.operate(id, "capture")).result).toStrictEqual({
      ok: false, error: { code: "PAYMENT_PROVIDER_ERROR", detail: "An error occurred with our connection to Stripe." },
    });
    expect(await stub.get()).toMatchObject({ status: "authorized" });
    expect((await stub.operate(id, "capture")).result).toMatchObject({ ok: true, value: { status: "captured" } });
    const captures = (await stripeCalls(id)).filter((c) => c.path.endsWith("/capture"));
    expect(captures.map((c) => c.idempotencyKey)).toStrictEqual([`edgeshop-${id}-capture`, `edgeshop-${id}-capture`]);
    expect(await stub.providerCalls()).toStrictEqual([
      { op: "authorize", outcome: "ok" }, { op: "capture", outcome: "PAYMENT_PROVIDER_ERROR" }, { op: "capture", outcome: "ok" },
    ]);
  });
});

describe("card data never reaches storage or logs", () => {
  it("no PAN in the PaymentDO rows or in anything the Worker logged", async () => {
    const logged: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
    const pan = "4242424242424242";
    const rejected = await service.authorize({ paymentId: newId("pan"), orderId: "ord_pan", userId: "usr_pan", amount: usd(100), token: pan });
    expect(rejected).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    expect(JSON.stringify(rejected)).not.toContain(pan);

    const ok = await authorize();
    await ok.stub.operate(ok.id, "capture");
    const declined = await authorize("tok_chargeDeclined");
    await fetch(`${FAKE}/__fail?n=1`, { method: "POST" });
    await ok.stub.operate(ok.id, "refund");
    await ok.stub.operate(ok.id, "refund");
    expect(logged.some((l) => l.includes("stripe error"))).toBe(true);

    const dumps: string[] = [];
    for (const stub of [ok.stub, declined.stub]) {
      dumps.push(await runInDurableObject(stub, (_i: PaymentDO, state) =>
        JSON.stringify([...state.storage.sql.exec("SELECT * FROM payment").toArray(), ...state.storage.sql.exec("SELECT * FROM provider_calls").toArray()]),
      ));
    }
    expect(dumps.join("").length).toBeGreaterThan(100);
    expect(findPans(dumps.join("\n"))).toStrictEqual([]);
    expect(findPans(logged.join("\n"))).toStrictEqual([]);
    expect(logged.join("\n")).not.toContain(pan);
  });
});
