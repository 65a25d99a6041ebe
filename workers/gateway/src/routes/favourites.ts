import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { ok } from "../../../../shared/errors.ts";
import { FavouriteListSchema, ProductIdParamSchema } from "../../../../shared/schemas/favourites.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { bearer, jsonResponse, problems } from "../openapi.ts";
import { send, sendNoContent } from "../respond.ts";

const list = createRoute({
  method: "get",
  path: "/v1/favourites",
  tags: ["Favourites"],
  summary: "The caller's favourite products, newest first (deleted products are left out)",
  security: bearer,
  middleware: [requireAuth("customer")] as const,
  responses: { 200: jsonResponse(FavouriteListSchema, "Favourites"), ...problems(401, 403) },
});

const put = createRoute({
  method: "put",
  path: "/v1/favourites/{productId}",
  tags: ["Favourites"],
  summary: "Add a product to the caller's favourites (idempotent)",
  security: bearer,
  middleware: [requireAuth("customer")] as const,
  request: { params: ProductIdParamSchema },
  description: "An account keeps at most 1,000 favourites: adding another is 409 CONFLICT (favourites of deleted products make room).",
  responses: { 204: { description: "Added (or already there)" }, ...problems(400, 401, 403, 404, 409) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/favourites/{productId}",
  tags: ["Favourites"],
  summary: "Remove a product from the caller's favourites (idempotent)",
  security: bearer,
  middleware: [requireAuth("customer")] as const,
  request: { params: ProductIdParamSchema },
  responses: { 204: { description: "Removed (or was not there)" }, ...problems(400, 401, 403) },
});

export const favouriteRoutes = new OpenAPIHono<AppEnv>()
  .openapi(list, async (c) => send(c, ok({ items: await c.env.FAVOURITES.list(principalOf(c).userId) })))
  .openapi(put, async (c) => sendNoContent(c, await c.env.FAVOURITES.add(principalOf(c).userId, c.req.valid("param").productId)))
  .openapi(remove, async (c) => sendNoContent(c, await c.env.FAVOURITES.remove(principalOf(c).userId, c.req.valid("param").productId)));
