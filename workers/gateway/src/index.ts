import { withSentry } from "@sentry/cloudflare";
import { sentryOptions } from "../../../shared/observability.ts";
import { createApp } from "./app.ts";

const app = createApp();

const instrumented = withSentry((env: GatewayEnv) => sentryOptions(env), {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<GatewayEnv>);

/** Sentry's wrapper only when there is a DSN to report to (see sentryWhenConfigured). */
export default {
  fetch: (request, env, ctx) => (env.SENTRY_DSN ? instrumented.fetch(request, env, ctx) : app.fetch(request, env, ctx)),
} satisfies ExportedHandler<GatewayEnv>;
