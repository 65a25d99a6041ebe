import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig, defineProject } from "vitest/config";
import { auxiliaryWorkers, testBindings, workerInfo } from "./tests/harness/workers.ts";
import { stripeBindings } from "./tests/harness/fake-stripe-server.ts";
import { paymentsProject } from "./tests/harness/payments-project.ts";

/**
 * Projects, each with a different main Worker (or configuration), all in workerd:
 * - e2e: the gateway, with every domain Worker as a real auxiliary Worker (tests/e2e, tests/unit)
 * - e2e-stripe: the same, with the payments Worker on the Stripe provider against a fake Stripe (tests/e2e/stripe-*)
 * - catalog: the catalog Worker, for StockDO tests (tests/durable/catalog)
 * - orders: the orders Worker, for CartDO/OrderDO tests (tests/durable/orders)
 */
function project(name: string, main: string, include: string[], extra: {
    ratelimits?: Record<string, { namespace_id: string; simple: { limit: number; period?: 10 | 60 } }>;
    queueProducers?: Record<string, { queueName: string }>;
  } = {}, options: { exclude?: string[]; stripe?: boolean } = {}) {
  const info = workerInfo(main);
  return defineProject({
    plugins: [
      cloudflareTest(({ inject }) => {
        const db = { databaseUrl: inject<string>("databaseUrl"), neonWsProxy: inject<string>("neonWsProxy"), sentryDsn: inject<string>("sentryDsn") };
        const overrides: Record<string, Record<string, string>> = options.stripe ? { payments: stripeBindings(inject<string>("fakeStripeUrl")) } : {};
        return {
          wrangler: { configPath: info.config },
          // The plugin renames the main Worker, so a bundled copy of it runs too for the
          // other Workers' service bindings; the gateway is bound by nobody.
          miniflare: { bindings: testBindings(info, db), workers: auxiliaryWorkers(db, main === "gateway" ? main : undefined, overrides), ...extra },
        };
      }),
    ],
    test: {
      name,
      include,
      exclude: [...configDefaults.exclude, ...(options.exclude ?? [])],
      ...(options.stripe ? { globalSetup: ["./tests/harness/fake-stripe-server.ts"] } : {}),
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  });
}

/** The e2e tests that need the payments Worker on the Stripe provider (the e2e-stripe project), left out of e2e. */
const STRIPE_E2E = "tests/e2e/stripe-*.test.ts";

export default defineConfig({
  test: {
    globalSetup: ["./tests/harness/global-setup.ts"],
    // Worker logs of passing tests are noise in CI; failing tests keep theirs.
    silent: "passed-only",
    projects: [
      // TEST_RATE_LIMIT: a deliberately small limiter for the rate limiting test;
      // TEST_EVENTS: a producer onto the real events queue, for consumer tests.
      project("e2e", "gateway", ["tests/e2e/**/*.test.ts", "tests/unit/**/*.test.ts"], {
        ratelimits: { TEST_RATE_LIMIT: { namespace_id: "9001", simple: { limit: 5, period: 60 } } },
        queueProducers: { TEST_EVENTS: { queueName: "edgeshop-events" } },
      }, { exclude: [STRIPE_E2E] }),
      // e2e-stripe: the same stack with the payments Worker on the Stripe provider, talking to a fake Stripe.
      project("e2e-stripe", "gateway", [STRIPE_E2E], {}, { stripe: true }),
      project("catalog", "catalog", ["tests/durable/catalog/**/*.test.ts"]),
      project("orders", "orders", ["tests/durable/orders/**/*.test.ts"]),
      // payments: the payments Worker with the Stripe provider against a fake Stripe HTTP server.
      paymentsProject(),
    ],
  },
});
