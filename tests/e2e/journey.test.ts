import { describe, expect, it } from "vitest";
import { addToCart, adminToken, api, checkout, customer, eventually, product } from "./orders-support.ts";

interface Notification {
  eventId: string;
  eventType: string;
  status: string;
}

/**
 * The whole journey: register -> browse -> cart -> checkout -> shipment
 * events -> delivered, then every domain event it produced was consumed
 * exactly once in effect (one email each, sales counted once).
 */
describe("full journey with domain events", () => {
  it("registers, buys, ships, delivers, and each event is consumed once", async () => {
    const admin = await adminToken();
    const shopper = await customer();
    const [variant] = await product(admin, [5], 2000);
    const browsed = await api("GET", `/v1/products/${variant!.productId}`);
    expect(browsed.status).toBe(200);
    expect((await addToCart(shopper.token, variant!.sku, 2)).status).toBe(200);
    const order = await checkout(shopper.token);
    expect(order.status).toBe(201);
    const orderId = order.body.id;

    const shipment = await eventually(async () => {
      const res = await api<{ id: string; status: string }>("GET", `/v1/orders/${orderId}/shipment`, { token: shopper.token });
      if (res.status !== 200) throw new Error(`shipment not there yet: ${res.status}`);
      return res.body;
    }, 15_000);
    expect((await api("POST", `/v1/shipments/${shipment.id}/events`, { token: admin, body: { status: "in_transit" } })).status).toBe(200);
    expect((await api("POST", `/v1/shipments/${shipment.id}/events`, { token: admin, body: { status: "delivered" } })).status).toBe(200);
    // A repeated carrier report: harmless, and its event is not consumed twice.
    expect((await api("POST", `/v1/shipments/${shipment.id}/events`, { token: admin, body: { status: "delivered" } })).status).toBe(200);
    expect((await api<{ status: string }>("GET", `/v1/orders/${orderId}`, { token: shopper.token })).body.status).toBe("delivered");

    const expected = ["order.placed", "payment.captured", "shipment.created", "shipment.delivered"];
    const notes = await eventually(async () => {
      const res = await api<{ items: Notification[] }>("GET", `/v1/admin/notifications?orderId=${orderId}`, { token: admin });
      const types = res.body.items.map((n) => n.eventType).sort();
      if (types.length < expected.length || res.body.items.some((n) => n.status !== "sent")) throw new Error(`so far: ${types.join(", ")}`);
      return res.body.items;
    }, 20_000);
    await new Promise((r) => setTimeout(r, 1_000)); // duplicates, if any, would land now
    const final = await api<{ items: Notification[] }>("GET", `/v1/admin/notifications?orderId=${orderId}`, { token: admin });
    expect(final.body.items.map((n) => n.eventType).sort()).toStrictEqual(expected);
    expect(notes.every((n) => n.status === "sent")).toBe(true);

    const today = new Date().toISOString().slice(0, 10);
    const sales = await api<{ items: { sku: string; units: number; revenue: { amount: number } }[] }>("GET", `/v1/admin/analytics/sales?from=${today}&to=${today}`, { token: admin });
    expect(sales.body.items.filter((i) => i.sku === variant!.sku)).toStrictEqual([{ day: today, sku: variant!.sku, units: 2, revenue: { amount: 4000, currency: "USD" } }]);
  });
});
