/**
 * Types of what the harness hands to tests with `inject()` (vitest's
 * ProvidedContext). The harness itself is outside the workerd typecheck, so
 * its own augmentation is not visible to test files; this one is.
 */
declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    neonWsProxy: string;
    databaseKind: string;
    sentryDsn: string;
    sentryUrl: string;
    /** Base URL of the fake Stripe HTTP server (payments project only). */
    fakeStripeUrl: string;
  }
}

export {};
