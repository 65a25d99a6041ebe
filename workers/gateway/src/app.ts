import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Scalar } from "@scalar/hono-api-reference";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { isMissingRpcMethod, type FieldError } from "../../../shared/errors.ts";
import { errorText } from "../../../shared/observability.ts";
import type { AppEnv } from "./context.ts";
import { allowedMethodsOf, answerOptions } from "./middleware/method-not-allowed.ts";
import { faultInjection } from "./middleware/fault-injection.ts";
import { gatewayRateLimit } from "./middleware/rate-limit.ts";
import { refuseEncodedBody } from "./middleware/refuse-encoded-body.ts";
import { rejectUnstorableText } from "./middleware/reject-unstorable-text.ts";
import { reportError, requestContext } from "./middleware/request-context.ts";
import { DependencyUnavailable, resilientBindings } from "./resilience.ts";
import { openApiDocument } from "./openapi.ts";
import { DATABASE_RETRY_SECONDS, ROLLOUT_RETRY_SECONDS, problemOf } from "./respond.ts";
import { adminRoutes } from "./routes/admin.ts";
import { authRoutes } from "./routes/auth.ts";
import { healthRoutes } from "./routes/health.ts";
import { meRoutes } from "./routes/me.ts";
import { userRoutes } from "./routes/users.ts";
import { categoryRoutes } from "./routes/categories.ts";
import { productRoutes } from "./routes/products.ts";
import { inventoryRoutes } from "./routes/inventory.ts";
import { shippingRoutes } from "./routes/shipping.ts";
import { shipmentRoutes } from "./routes/shipments.ts";
import { favouriteRoutes } from "./routes/favourites.ts";
import { paymentRoutes } from "./routes/payments.ts";
import { cartRoutes } from "./routes/cart.ts";
import { checkoutRoutes } from "./routes/checkout.ts";
import { orderRoutes } from "./routes/orders.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Field errors one answer lists at most: a body of 10,000 unknown keys must not make a response of them all. */
const MAX_FIELD_ERRORS = 100;

/** zod issues -> `errors: [{path: "items.0.quantity", message}]`, all of them (see `validationProblem`). */
function fieldErrors(issues: readonly { path: readonly PropertyKey[]; message: string; keys?: readonly string[] }[], target: string): FieldError[] {
  return issues.flatMap((i) => {
    const base = i.path.map(String);
    // Unknown keys are named one by one so the client sees exactly what was refused; each entry names
    // its own key (zod's message lists them all, which repeated per key grew with the square of their number).
    if (i.keys && i.keys.length > 0) return i.keys.map((k) => ({ path: [...base, k].join("."), message: "Unrecognized key" }));
    return [{ path: base.length > 0 ? base.join(".") : target === "json" ? "body" : target, message: i.message }];
  });
}

/** 400 VALIDATION_FAILED with the first `MAX_FIELD_ERRORS` field errors; `detail` says when there were more. */
function validationProblem(c: Context<AppEnv>, errors: FieldError[]): Response {
  const detail = errors.length > MAX_FIELD_ERRORS
    ? `The request is not valid: ${errors.length} problems, the first ${MAX_FIELD_ERRORS} listed.`
    : "The request is not valid.";
  return problemOf(c, "VALIDATION_FAILED", detail, errors.slice(0, MAX_FIELD_ERRORS));
}

/**
 * Security headers of the API's JSON responses: Hono's set, less the three
 * that only change how a browser treats an HTML document (Origin-Agent-Cluster,
 * X-DNS-Prefetch-Control, X-Download-Options). Each header set one at a time
 * costs workerd about 5 µs per response (load/FINDINGS.md, eighth and twelfth
 * sessions; the cached-read fast path copies a Headers object instead), and the HTML reference
 * page is the one document edgeshop serves (DOCUMENT_HEADERS). The rest stays
 * as released, since clients and the last release's tests see it; OWASP's
 * shorter list for APIs is a change for a release of its own.
 */
const API_HEADERS = secureHeaders({
  crossOriginResourcePolicy: "cross-origin",
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
});
const DOCUMENT_HEADERS = secureHeaders({ crossOriginResourcePolicy: "cross-origin" });

/** The Scalar API reference build `/docs` loads (the `@scalar/api-reference` release, ESM). */
const SCALAR_UI = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.72.1/esm.js";

/** Builds the gateway app: middleware, every route module, errors, spec and docs. */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return validationProblem(c, fieldErrors(result.error.issues, result.target));
      }
    },
  });

  // Compiled on first use, when every route below is registered.
  const allowedMethods = allowedMethodsOf(app.routes);

  app.use("*", requestContext());
  app.use("*", (c, next) => (c.req.path === "/docs" ? DOCUMENT_HEADERS(c, next) : API_HEADERS(c, next)));
  app.use("*", answerOptions(allowedMethods));
  app.use(
    "*",
    cors({
      origin: "*",
      // sentry-trace and baggage: what a storefront's own Sentry browser SDK adds to its API calls.
      allowHeaders: ["authorization", "content-type", "idempotency-key", "x-request-id", "traceparent", "sentry-trace", "baggage"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: ["x-request-id", "x-edgeshop-version", "idempotent-replayed", "retry-after", "traceparent"],
      maxAge: 600,
    }),
  );
  app.use("*", gatewayRateLimit());
  app.use("*", resilientBindings());
  app.use("*", faultInjection());
  app.use("*", bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => problemOf(c, "PAYLOAD_TOO_LARGE", "The body is larger than 1 MiB.") }));
  app.use("*", refuseEncodedBody());
  app.use("*", rejectUnstorableText());

  app.route("/", healthRoutes);
  app.route("/", authRoutes);
  app.route("/", meRoutes);
  app.route("/", userRoutes);
  app.route("/", adminRoutes);
  app.route("/", categoryRoutes);
  app.route("/", productRoutes);
  app.route("/", inventoryRoutes);
  app.route("/", shippingRoutes);
  app.route("/", shipmentRoutes);
  app.route("/", favouriteRoutes);
  app.route("/", paymentRoutes);
  app.route("/", cartRoutes);
  app.route("/", checkoutRoutes);
  app.route("/", orderRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  // The document and the reference page are served by doc31 and Scalar, outside the typed routes, so they are named here.
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/openapi.json",
    tags: ["Health"],
    summary: "This OpenAPI 3.1 document",
    responses: { 200: { description: "The OpenAPI document", content: { "application/json": { schema: { type: "object" } } } } },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs",
    tags: ["Health"],
    summary: "Interactive API reference (HTML)",
    responses: { 200: { description: "The reference page", content: { "text/html": { schema: { type: "string" } } } } },
  });
  app.get("/v1/openapi.json", (c) => c.json(openApiDocument(app, c.env.CF_VERSION_METADATA.id)));
  // The browser loads the reference UI from jsDelivr, pinned so a page can not change without a commit.
  app.get("/docs", Scalar({ url: "/v1/openapi.json", pageTitle: "edgeshop API reference", bundle: SCALAR_UI }));

  app.notFound((c) => {
    const allow = allowedMethods(c.req.path);
    if (allow.length > 0 && !allow.includes(c.req.method)) {
      return problemOf(c, "METHOD_NOT_ALLOWED", `${c.req.method} is not allowed here.`, undefined, { allow: allow.join(", ") });
    }
    return problemOf(c, "NOT_FOUND", "No such resource.");
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status === 400) {
      const unstorable = c.get("bodyProblem");
      if (unstorable) return problemOf(c, "VALIDATION_FAILED", unstorable.detail, [unstorable.error]);
      return problemOf(c, "VALIDATION_FAILED", "The request body is not valid JSON.", [{ path: "body", message: "Malformed JSON" }]);
    }
    if (err instanceof HTTPException && err.status === 413) {
      return problemOf(c, "PAYLOAD_TOO_LARGE", "The body is larger than 1 MiB.");
    }
    if (err instanceof HTTPException && err.status === 415) {
      return problemOf(c, "UNSUPPORTED_MEDIA_TYPE", "Send the body as JSON, with content-type: application/json.");
    }
    if (err instanceof DependencyUnavailable) {
      console.error(JSON.stringify({ level: "error", worker: "gateway", requestId: c.get("requestId"), msg: "dependency unavailable", service: err.service, error: err.message }));
      // An open circuit is the breaker doing its job; the failures that opened it were reported as they happened.
      if (!err.message.endsWith("circuit open")) reportError(c, err);
      return problemOf(c, "SERVICE_UNAVAILABLE", `The ${err.service} service is unavailable; retry later.`, undefined, { "retry-after": String(err.retryAfterSeconds) });
    }
    if (err instanceof Error && err.name === "DatabaseUnavailable") {
      // A domain Worker could not reach Postgres (shared/service.ts): retry shortly, as for any dependency.
      console.error(JSON.stringify({ level: "error", worker: "gateway", requestId: c.get("requestId"), msg: "database unavailable" }));
      reportError(c, err);
      return problemOf(c, "SERVICE_UNAVAILABLE", "The database is unavailable; retry later.", undefined, { "retry-after": String(DATABASE_RETRY_SECONDS) });
    }
    if (isMissingRpcMethod(err)) {
      // A service of the release before this gateway's, met during a rollout: the route works once it has rolled out.
      console.error(JSON.stringify({ level: "error", worker: "gateway", requestId: c.get("requestId"), msg: "method missing in the service's version", error: errorText(err) }));
      reportError(c, err);
      return problemOf(c, "SERVICE_UNAVAILABLE", "This operation is not available until the release rolling out reaches every service; retry shortly.", undefined, { "retry-after": String(ROLLOUT_RETRY_SECONDS) });
    }
    console.error(JSON.stringify({ level: "error", worker: "gateway", requestId: c.get("requestId"), msg: "unhandled error", error: errorText(err) }));
    reportError(c, err);
    return problemOf(c, "INTERNAL_ERROR", "Something went wrong on our side. Quote the request id when reporting it.");
  });

  return app;
}
