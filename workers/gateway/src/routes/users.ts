import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { IdParamSchema, pageSchema } from "../../../../shared/schemas/common.ts";
import { UserListQuerySchema, UserSchema } from "../../../../shared/schemas/users.ts";
import type { AppEnv } from "../context.ts";
import { requireAuth } from "../middleware/auth.ts";
import { bearer, jsonResponse, problems } from "../openapi.ts";
import { send } from "../respond.ts";

const list = createRoute({
  method: "get",
  path: "/v1/users",
  tags: ["Users"],
  summary: "All users, newest first, or the one with an email (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { query: UserListQuerySchema },
  responses: { 200: jsonResponse(pageSchema(UserSchema, "UserPage"), "A page of users"), ...problems(400, 401, 403) },
});

const get = createRoute({
  method: "get",
  path: "/v1/users/{id}",
  tags: ["Users"],
  summary: "One user (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(UserSchema, "The user"), ...problems(401, 403, 404) },
});

export const userRoutes = new OpenAPIHono<AppEnv>()
  .openapi(list, async (c) => {
    const { limit, cursor, email } = c.req.valid("query");
    return send(c, await (email === undefined ? c.env.USERS.listUsers(limit, cursor) : c.env.USERS.listUsersByEmail(limit, cursor, email)));
  })
  .openapi(get, async (c) => send(c, await c.env.USERS.getUser(c.req.valid("param").id)));
