import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { ServiceHealth } from "../../../../shared/service.ts";
import type { AppEnv } from "../context.ts";
import { jsonResponse } from "../openapi.ts";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    version: z.string(),
    services: z.record(z.string(), z.enum(["ok", "down"])),
    versions: z.record(z.string(), z.string()),
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
  const checks: Record<string, () => Promise<ServiceHealth>> = {
    users: () => env.USERS.health(),
    catalog: () => env.CATALOG.health(),
    orders: () => env.ORDERS.health(),
    payments: () => env.PAYMENTS.health(),
    shipping: () => env.SHIPPING.health(),
    favourites: () => env.FAVOURITES.health(),
    database: () => env.USERS.databaseHealth(),
  };
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((n) => probe(checks[n]!)));
  const services: Record<string, "ok" | "down"> = {};
  const versions: Record<string, string> = { gateway: env.CF_VERSION_METADATA.id };
  names.forEach((n, i) => {
    services[n] = results[i]!.status;
    if (n !== "database") versions[n] = results[i]!.version;
  });
  const healthy = results.every((r) => r.status === "ok");
  return c.json({ status: healthy ? "ok" : "degraded", version: env.CF_VERSION_METADATA.id, services, versions } as const, healthy ? 200 : 503);
});
