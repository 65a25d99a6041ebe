import { withSentry } from "@sentry/cloudflare";
import { sentryOptions } from "../../../shared/observability.ts";
import { createApp } from "./app.ts";

const app = createApp();

export default withSentry((env: GatewayEnv) => sentryOptions(env), {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<GatewayEnv>);
