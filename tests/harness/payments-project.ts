/**
 * The `payments` test project: the payments Worker as main Worker (so its
 * PaymentDO is reachable with runInDurableObject and its console output is
 * capturable), configured with the Stripe provider pointed at the fake Stripe
 * HTTP server from fake-stripe-server.ts. The e2e project keeps the test provider.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { stripeBindings } from "./fake-stripe-server.ts";
import { testBindings, workerInfo } from "./workers.ts";

export function paymentsProject() {
  const info = workerInfo("payments");
  return defineProject({
    plugins: [
      cloudflareTest(({ inject }) => {
        const db = { databaseUrl: inject("databaseUrl"), neonWsProxy: inject("neonWsProxy") };
        return { wrangler: { configPath: info.config }, miniflare: { bindings: { ...testBindings(info, db), ...stripeBindings(inject("fakeStripeUrl")) } } };
      }),
    ],
    test: {
      name: "payments",
      include: ["tests/durable/payments/**/*.test.ts"],
      globalSetup: ["./tests/harness/fake-stripe-server.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  });
}
