import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { ok } from "../../../../shared/errors.ts";
import { CategoryInputSchema, CategorySchema } from "../../../../shared/schemas/catalog.ts";
import type { AppEnv } from "../context.ts";
import { requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { readThrough, settled } from "../read-cache.ts";
import { send, sendJson } from "../respond.ts";

const list = createRoute({
  method: "get",
  path: "/v1/categories",
  tags: ["Catalog"],
  summary: "All categories (public)",
  responses: { 200: jsonResponse(z.object({ items: z.array(CategorySchema) }).openapi("CategoryList"), "Categories"), ...problems() },
});

const create = createRoute({
  method: "post",
  path: "/v1/categories",
  tags: ["Catalog"],
  summary: "Create a category (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: jsonBody(CategoryInputSchema),
  responses: { 201: jsonResponse(CategorySchema, "Created"), ...problems(400, 401, 403, 409) },
});

export const categoryRoutes = new OpenAPIHono<AppEnv>()
  .openapi(list, async (c) => sendJson(c, await readThrough(c, async () => ok(await c.env.CATALOG.listCategories()), () => [])))
  .openapi(create, async (c) => send(c, await settled(c.env, await c.env.CATALOG.createCategory(c.req.valid("json"))), 201));
