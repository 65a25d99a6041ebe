import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { AuthResultSchema, LoginSchema, RegisterSchema } from "../../../../shared/schemas/users.ts";
import type { AppEnv } from "../context.ts";
import { jsonBody, jsonResponse, problems } from "../openapi.ts";
import { send } from "../respond.ts";

const register = createRoute({
  method: "post",
  path: "/v1/auth/register",
  tags: ["Auth"],
  summary: "Create a customer account and get a token",
  request: jsonBody(RegisterSchema),
  responses: { 201: jsonResponse(AuthResultSchema, "Account created"), ...problems(400, 409) },
});

const login = createRoute({
  method: "post",
  path: "/v1/auth/login",
  tags: ["Auth"],
  summary: "Exchange email and password for a token",
  request: jsonBody(LoginSchema),
  responses: { 200: jsonResponse(AuthResultSchema, "Logged in"), ...problems(400, 401) },
});

export const authRoutes = new OpenAPIHono<AppEnv>()
  .openapi(register, async (c) => send(c, await c.env.USERS.register(c.req.valid("json")), 201))
  .openapi(login, async (c) => send(c, await c.env.USERS.login(c.req.valid("json"))));
