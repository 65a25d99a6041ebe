import { describe, expect, it } from "vitest";
import { signWebhook, verifyAndParseWebhook, verifySignature } from "../../workers/payments/src/webhook-signature.ts";
import { findCardData, findPans, looksLikePan } from "../../shared/pan.ts";

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

  it("refuses a header naming more signatures than a sender uses (each one costs a full-body HMAC)", async () => {
    const good = await signWebhook(secret, body, now);
    const other = (await signWebhook("old", body, now)).split(",")[1];
    expect(await verifySignature(secret, body, `${good},${other},${other},${other}`, now)).toBe(true);
    expect(await verifySignature(secret, body, `${good},${other},${other},${other},${other}`, now)).toBe(false);
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

  it("findCardData names the first field holding card data, and nothing in an ordinary body", () => {
    const body = { shippingAddress: { name: "Ada", line1: "1 Main St", postalCode: "12345", country: "US" }, shippingOptionId: "ship_us_standard", paymentToken: "tok_visa" };
    expect(findCardData(body)).toBeUndefined();
    expect(findCardData({ ...body, card: { number: "4242424242424242" } })).toBe("card");
    expect(findCardData({ ...body, cvc: "123" })).toBe("cvc");
    expect(findCardData({ ...body, cardNumber: "x" })).toBe("cardNumber");
    expect(findCardData({ ...body, shippingAddress: { ...body.shippingAddress, line2: "4242 4242 4242 4242" } })).toBe("shippingAddress.line2");
    expect(findCardData({ ...body, notes: [1, 4242424242424242] })).toBe("notes.1");
    expect(findCardData("4000000000000002")).toBe("body");
    // Ids, timestamps and non-Luhn digit runs are not card numbers.
    expect(findCardData({ id: "ord_1234567890123456789", at: 1763780000001, ref: "4242424242424241" })).toBeUndefined();
  });
});
