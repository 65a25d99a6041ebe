/**
 * vitest config of `npm run compat` (scripts/compat.ts sets the COMPAT_* env):
 * one e2e project whose gateway and domain Workers come from different builds.
 *   old-gateway: old gateway (compiled from the release worktree) -> new services
 *   new-gateway: new gateway -> old services (their release bundles and configs)
 *   baseline:    new gateway -> new services (control run with the same tests)
 * The tests are the old release's e2e suite by default: the behaviour clients
 * of the released API rely on must hold while versions are mixed.
 */
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig, defineProject } from "vitest/config";
import { testBindings as testBindingsOf } from "../../tests/harness/workers.ts";
import { GATEWAY } from "../workers.ts";
import { hasWorker, inBuild, mixedAuxiliaryWorkers, type Build } from "./compat-workers.ts";

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this config through npm run compat`);
  return v;
};
const mode = env("COMPAT_MODE");
const oldBuild: Build = { root: env("COMPAT_OLD_ROOT"), bundles: env("COMPAT_OLD_BUNDLES") };
const newBuild: Build = { root: env("COMPAT_NEW_ROOT"), bundles: env("COMPAT_NEW_BUNDLES") };
const testsRoot = env("COMPAT_TESTS_ROOT");
const gatewayBuild = mode === "old-gateway" ? oldBuild : newBuild;

export default defineConfig({
  test: {
    globalSetup: [join(newBuild.root, "scripts/release/compat-setup.ts")],
    silent: "passed-only",
    projects: [
      defineProject({
        root: testsRoot,
        plugins: [
          cloudflareTest(({ inject }) => {
            const db = { databaseUrl: inject<string>("databaseUrl"), neonWsProxy: inject<string>("neonWsProxy"), sentryDsn: inject<string>("sentryDsn") };
            const gateway = inBuild(GATEWAY, gatewayBuild.root);
            // services from the other build than the gateway; a Worker the old build lacks runs new
            const pick = (w: typeof GATEWAY): Build => (mode !== "new-gateway" || !hasWorker(w, oldBuild) ? newBuild : oldBuild);
            return {
              wrangler: { configPath: gateway.config },
              // The same test-only bindings as the main e2e project (vitest.config.ts).
              miniflare: {
                bindings: testBindingsOf(gateway, db),
                workers: mixedAuxiliaryWorkers(db, pick),
                ratelimits: { TEST_RATE_LIMIT: { namespace_id: "9001", simple: { limit: 5, period: 60 } } },
                queueProducers: { TEST_EVENTS: { queueName: "edgeshop-events" } },
              },
            };
          }),
        ],
        // tests/e2e/stripe-*: the e2e-stripe project's, which need the payments Worker on the Stripe provider.
        test: { name: `compat-${mode}`, include: ["tests/e2e/**/*.test.ts"], exclude: [...configDefaults.exclude, "tests/e2e/stripe-*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
      }),
    ],
  },
});
