import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { ServiceHealth } from "../../../../shared/service.ts";
import type { AppEnv } from "../context.ts";
import { jsonResponse } from "../openapi.ts";

/** What `/health` checks, in API.md's order: every service binding shoppers depend on, and the database. */
const CHECKED = ["users", "catalog", "orders", "payments", "shipping", "favourites", "database"] as const;
type Checked = (typeof CHECKED)[number];

const UpOrDown = z.enum(["ok", "down"]);

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    version: z.string(),
    services: z.object(Object.fromEntries(CHECKED.map((name) => [name, UpOrDown])) as Record<Checked, typeof UpOrDown>),
    versions: z.record(z.string(), z.string()).openapi({ description: "The deployed version id of the gateway and of every Worker behind it (events included); \"unknown\" for one that did not answer" }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["Health"],
  summary: "Aggregated health of every service binding and the database",
  responses: { 200: jsonResponse(HealthSchema, "Everything is up"), 503: jsonResponse(HealthSchema, "A dependency is down") },
});

const PROBE_TIMEOUT_MS = 2_000;

async function probe(call: () => Promise<ServiceHealth>): Promise<ServiceHealth> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ServiceHealth>((resolve) => {
    timer = setTimeout(() => resolve({ status: "down", version: "unknown" }), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([call().catch((): ServiceHealth => ({ status: "down", version: "unknown" })), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  const env = c.env;
  const checks: Record<Checked, () => Promise<ServiceHealth>> = {
    users: () => env.USERS.health(),
    catalog: () => env.CATALOG.health(),
    orders: () => env.ORDERS.health(),
    payments: () => env.PAYMENTS.health(),
    shipping: () => env.SHIPPING.health(),
    favourites: () => env.FAVOURITES.health(),
    database: () => env.USERS.databaseHealth(),
  };
  /*
   * The events Worker (queue consumer, admin reports) is probed for `versions`
   * only: it serves no shopper, so it does not make `/health` 503, and API.md
   * fixes the `services` object. A rollout's gates judge every Worker they ship
   * by its `/health` version (scripts/release/attribution.ts), so its version
   * is reported, "unknown" while its probe fails.
   */
  const [results, events] = await Promise.all([Promise.all(CHECKED.map((n) => probe(checks[n]))), probe(() => env.EVENTS.health())]);
  const services = {} as Record<Checked, "ok" | "down">;
  const versions: Record<string, string> = { gateway: env.CF_VERSION_METADATA.id };
  CHECKED.forEach((n, i) => {
    services[n] = results[i]!.status;
    if (n !== "database") versions[n] = results[i]!.version;
  });
  versions.events = events.status === "ok" ? events.version : "unknown";
  const healthy = results.every((r) => r.status === "ok");
  return c.json({ status: healthy ? "ok" : "degraded", version: env.CF_VERSION_METADATA.id, services, versions } as const, healthy ? 200 : 503);
});
