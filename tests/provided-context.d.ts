// What tests/harness/global-setup.ts provides to test files (`inject("databaseUrl")`).
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
