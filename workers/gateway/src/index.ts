import { withSentry } from "@sentry/cloudflare";
import { sentryOptions } from "../../../shared/observability.ts";
import { createApp } from "./app.ts";
import { learnFrom, serveCachedRead } from "./cached-read.ts";

const app = createApp();

const instrumented = withSentry((env: GatewayEnv) => sentryOptions(env), {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<GatewayEnv>);

/**
 * A fresh cached catalog read is answered before Hono runs (cached-read.ts);
 * everything else goes through the app, with Sentry's wrapper only when there
 * is a DSN to report to (see sentryWhenConfigured).
 */
export default {
  async fetch(request, env, ctx) {
    const cached = await serveCachedRead(request, env, ctx);
    if (cached) return cached;
    const response = await (env.SENTRY_DSN ? instrumented : app).fetch(request, env, ctx);
    learnFrom(request, response);
    return response;
  },
} satisfies ExportedHandler<GatewayEnv>;
