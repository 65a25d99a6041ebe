import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../workers/gateway/src/app.ts";
import { adminToken, customer, problem, uid } from "./orders-support.ts";

/** A Worker of the release before: it lacks `method`, as RPC says so. */
const older = (method: string) => ({ [method]: () => Promise.reject(new TypeError(`The RPC receiver does not implement the method "${method}".`)) });

let admin = "";
let shopper = "";
beforeAll(async () => {
  admin = await adminToken();
  shopper = (await customer()).token;
});

/**
 * A filter or field only this release understands goes to a method the release before lacks, so
 * while a rollout mixes versions the gateway answers 503 (the client retries) rather than an older
 * Worker ignoring it: the whole user list for `?email=`, every order for `?status=`, a charge the
 * customer refused for `expectedTotal`, a variant's title or weight dropped behind a 200.
 */
describe("what the release before would ignore is 503 while its Worker answers", () => {
  const address = { name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
  const cases = [
    { what: "GET /v1/users?email=", binding: "USERS", method: "listUsersByEmail", path: "/v1/users?email=someone%40example.com", init: () => ({ headers: { authorization: `Bearer ${admin}` } }) },
    { what: "GET /v1/orders?status=", binding: "ORDERS", method: "listOrdersByStatus", path: "/v1/orders?status=paid", init: () => ({ headers: { authorization: `Bearer ${shopper}` } }) },
    {
      what: "POST /v1/checkout with expectedTotal", binding: "ORDERS", method: "checkoutExpectingTotal", path: "/v1/checkout",
      init: () => ({
        method: "POST",
        headers: { authorization: `Bearer ${shopper}`, "content-type": "application/json", "idempotency-key": uid() },
        body: JSON.stringify({ shippingAddress: address, shippingOptionId: "ship_us_standard", paymentToken: "tok_visa", expectedTotal: { amount: 100, currency: "USD" } }),
      }),
    },
    {
      what: "PATCH /v1/products/{id} naming a variant's weight", binding: "CATALOG", method: "updateProductDetails", path: `/v1/products/prd_${"0".repeat(28)}`,
      init: () => ({
        method: "PATCH",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ variants: [{ sku: "ANY-SKU", weightGrams: 250 }] }),
      }),
    },
  ];

  it.each(cases)("$what", async ({ binding, method, path, init }) => {
    const res = await createApp().request(path, init(), { ...env, [binding]: older(method) });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("10");
    expect(await res.json()).toMatchObject(problem(503, "SERVICE_UNAVAILABLE"));
  });
});
