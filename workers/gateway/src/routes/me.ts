import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { AddressInputSchema, AddressSchema, UpdateMeSchema, UserSchema } from "../../../../shared/schemas/users.ts";
import { ok } from "../../../../shared/errors.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { send } from "../respond.ts";

const getMe = createRoute({
  method: "get",
  path: "/v1/me",
  tags: ["Users"],
  summary: "The caller's account",
  security: bearer,
  middleware: [requireAuth()] as const,
  responses: { 200: jsonResponse(UserSchema, "The caller"), ...problems(401) },
});

const patchMe = createRoute({
  method: "patch",
  path: "/v1/me",
  tags: ["Users"],
  summary: "Change the caller's name (role and email cannot change here)",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: jsonBody(UpdateMeSchema),
  responses: { 200: jsonResponse(UserSchema, "Updated"), ...problems(400, 401) },
});

const listAddresses = createRoute({
  method: "get",
  path: "/v1/me/addresses",
  tags: ["Users"],
  summary: "The caller's saved addresses",
  security: bearer,
  middleware: [requireAuth()] as const,
  responses: { 200: jsonResponse(z.object({ items: z.array(AddressSchema) }), "Addresses"), ...problems(401) },
});

const addAddress = createRoute({
  method: "post",
  path: "/v1/me/addresses",
  tags: ["Users"],
  summary: "Save an address",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: jsonBody(AddressInputSchema),
  responses: { 201: jsonResponse(AddressSchema, "Saved"), ...problems(400, 401) },
});

export const meRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getMe, async (c) => send(c, await c.env.USERS.getUser(principalOf(c).userId)))
  .openapi(patchMe, async (c) => send(c, await c.env.USERS.updateProfile(principalOf(c).userId, c.req.valid("json"))))
  .openapi(listAddresses, async (c) => send(c, ok({ items: await c.env.USERS.listAddresses(principalOf(c).userId) })))
  .openapi(addAddress, async (c) => send(c, ok(await c.env.USERS.addAddress(principalOf(c).userId, c.req.valid("json"))), 201));
