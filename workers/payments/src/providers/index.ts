import { StripeProvider, DEFAULT_STRIPE_API_BASE } from "./stripe.ts";
import { TestProvider } from "./test-provider.ts";
import type { PaymentProvider, ProviderConfig } from "./types.ts";

export type { PaymentProvider, ProviderConfig } from "./types.ts";

/**
 * The provider named `name` (a payment keeps the provider it was authorized
 * with, even if `PAYMENT_PROVIDER` changes later), or the configured one.
 * Throws on an unknown name or a Stripe provider without a key: that is a
 * deployment mistake, not a customer's.
 */
export function providerFor(env: ProviderConfig, name: string = env.PAYMENT_PROVIDER): PaymentProvider {
  switch (name) {
    case "test":
      return new TestProvider(Math.max(0, Number(env.TEST_PROVIDER_LATENCY_MS ?? "0") || 0), env.PAYMENT_WEBHOOK_SECRET);
    case "stripe":
      if (!env.STRIPE_SECRET_KEY) throw new Error("PAYMENT_PROVIDER is stripe but STRIPE_SECRET_KEY is not set");
      return new StripeProvider(env.STRIPE_SECRET_KEY, env.PAYMENT_WEBHOOK_SECRET, env.STRIPE_API_BASE || DEFAULT_STRIPE_API_BASE);
    default:
      throw new Error(`unknown PAYMENT_PROVIDER "${name}"`);
  }
}
