import { describe, expect, it } from "vitest";
import { signWebhook, verifyAndParseWebhook, verifySignature } from "../../workers/payments/src/webhook-signature.ts";
import { findPans, looksLikePan } from "../../workers/payments/src/pan.ts";

const secret = "whsec_local";
const now = 1_790_000_000;
const body = JSON.stringify({
  id: "evt_1", type: "payment.captured",
  data: { paymentId: "pay_1", orderId: "ord_1", status: "captured", amount: { amount: 100, currency: "USD" } },
});

describe("webhook signatures", () => {
  it("accepts a fresh, matching signature", async () => {
    expect(await verifySignature(secret, body, await signWebhook(secret, body, now), now)).toBe(true);
    expect(await verifySignature(secret, body, await signWebhook(secret, body, now - 299), now)).toBe(true);
  });

  it("refuses missing, malformed, stale, future, tampered and wrong-secret signatures", async () => {
    const good = await signWebhook(secret, body, now);
    expect(await verifySignature(secret, body, null, now)).toBe(false);
    expect(await verifySignature(secret, body, "", now)).toBe(false);
    expect(await verifySignature(secret, body, "v1=abc", now)).toBe(false);
    expect(await verifySignature(secret, body, `t=${now}`, now)).toBe(false);
    expect(await verifySignature(secret, body, await signWebhook(secret, body, now - 301), now)).toBe(false);
    expect(await verifySignature(secret, body, await signWebhook(secret, body, now + 301), now)).toBe(false);
    expect(await verifySignature(secret, `${body} `, good, now)).toBe(false);
    expect(await verifySignature(secret, body, await signWebhook("whsec_other", body, now), now)).toBe(false);
    expect(await verifySignature("", body, good, now)).toBe(false);
  });

  it("accepts any one of several v1 signatures (secret rotation)", async () => {
    const good = await signWebhook(secret, body, now);
    const other = (await signWebhook("old", body, now)).split(",")[1];
    expect(await verifySignature(secret, body, `${good},${other}`, now)).toBe(true);
  });

  it("verifies before parsing, then validates the event", async () => {
    expect(await verifyAndParseWebhook(secret, "not json", null, now)).toMatchObject({ ok: false, error: { code: "INVALID_SIGNATURE" } });
    const bad = JSON.stringify({ id: "evt_2", type: "payment.exploded", data: {} });
    const res = await verifyAndParseWebhook(secret, bad, await signWebhook(secret, bad, now), now);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe("VALIDATION_FAILED");
    expect(await verifyAndParseWebhook(secret, body, await signWebhook(secret, body, now), now)).toStrictEqual({ ok: true, value: JSON.parse(body) });
  });
});

describe("looksLikePan", () => {
  it("spots 13-19 digit card numbers, grouped or not, and nothing else", () => {
    for (const pan of ["4242424242424242", "4242 4242 4242 4242", "5555-5555-5555-4444", "4000000000002", "6011000990139424123"]) expect(looksLikePan(pan)).toBe(true);
    for (const s of ["tok_visa", "1999", "2026-11-22T02:50:00.000Z"]) expect(looksLikePan(s)).toBe(false);
  });

  it("findPans reports standalone Luhn-valid numbers only", () => {
    expect(findPans('{"card":"4242 4242 4242 4242","cvc":"123"}')).toStrictEqual(["4242424242424242"]);
    expect(findPans("pay_019a1234567890123456abcd ord_1234567890123456789 1763780000001")).toStrictEqual([]);
  });
});
