import { withSentry } from "@sentry/cloudflare";
import { sentryOptions } from "../../../shared/observability.ts";
import { createApp } from "./app.ts";
import { fastRead, learn } from "./fast-reads.ts";

const app = createApp();

const instrumented = withSentry((env: GatewayEnv) => sentryOptions(env), {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<GatewayEnv>);

/**
 * A cached anonymous product read is answered from this isolate's memory
 * (fast-reads.ts); everything else goes through the app, with Sentry's
 * wrapper only when there is a DSN to report to (see sentryWhenConfigured).
 */
export default {
  fetch: async (request, env, ctx) => {
    const fast = await fastRead(request, env);
    if (fast) return fast;
    const response = await (env.SENTRY_DSN ? instrumented.fetch(request, env, ctx) : app.fetch(request, env, ctx));
    learn(request, response);
    return response;
  },
} satisfies ExportedHandler<GatewayEnv>;
