import { describe, expect, it } from "vitest";
import { api, newCustomer, unique } from "./client.ts";

/**
 * Many Workers' pools hit one database at once. On PGlite (one session behind
 * the local proxy) this guards the proxy's serialisation; on PostgreSQL it is
 * plain concurrency.
 */
describe("concurrent database traffic", () => {
  it("serves 40 concurrent registrations and reads without a failure", async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api("POST", "/v1/auth/register", { body: { email: `${unique(`conc${i}`)}@example.com`, password: "password123", name: `C${i}` } }),
      ),
    );
    expect(results.map((r) => r.status)).toStrictEqual(Array.from({ length: 40 }, () => 201));
    const customer = await newCustomer();
    const reads = await Promise.all(Array.from({ length: 40 }, () => api("GET", "/v1/me", { token: customer.token })));
    expect(new Set(reads.map((r) => r.status))).toStrictEqual(new Set([200]));
  });
});
