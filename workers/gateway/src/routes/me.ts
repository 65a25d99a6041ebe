import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { AddressInputSchema, AddressPatchSchema, AddressSchema, MAX_ADDRESSES, UpdateMeSchema, UserSchema, type Address, type User } from "../../../../shared/schemas/users.ts";
import { fail, ok, orPreviousRelease, type Result } from "../../../../shared/errors.ts";
import { IdParamSchema } from "../../../../shared/schemas/common.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { send, sendNoContent } from "../respond.ts";

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
  summary: `Save an address (at most ${MAX_ADDRESSES} per account: 409 CONFLICT beyond)`,
  security: bearer,
  middleware: [requireAuth()] as const,
  request: jsonBody(AddressInputSchema),
  responses: { 201: jsonResponse(AddressSchema, "Saved"), ...problems(400, 401, 409) },
});

const patchAddress = createRoute({
  method: "patch",
  path: "/v1/me/addresses/{id}",
  tags: ["Users"],
  summary: "Change fields of a saved address (`line2: null` clears it)",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: { params: IdParamSchema, ...jsonBody(AddressPatchSchema) },
  responses: { 200: jsonResponse(AddressSchema, "Changed"), ...problems(400, 401, 404) },
});

const deleteAddress = createRoute({
  method: "delete",
  path: "/v1/me/addresses/{id}",
  tags: ["Users"],
  summary: "Delete a saved address",
  security: bearer,
  middleware: [requireAuth()] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: "Deleted" }, ...problems(401, 404) },
});

/**
 * The caller's own account. A valid token of an account that no longer exists
 * authenticates nobody: 401, as saving an address answers, not the 404 an
 * admin gets for an unknown user id.
 */
function ownAccount(result: Result<User>): Result<User> {
  return !result.ok && result.error.code === "NOT_FOUND" ? fail("UNAUTHENTICATED", "This account no longer exists.") : result;
}

export const meRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getMe, async (c) => send(c, ownAccount(await c.env.USERS.getUser(principalOf(c).userId))))
  .openapi(patchMe, async (c) => send(c, ownAccount(await c.env.USERS.updateProfile(principalOf(c).userId, c.req.valid("json")))))
  .openapi(listAddresses, async (c) => send(c, ok({ items: await c.env.USERS.listAddresses(principalOf(c).userId) })))
  .openapi(addAddress, async (c) => {
    const userId = principalOf(c).userId;
    const input = c.req.valid("json");
    // A users Worker of the release before this one (a rollout under way) saves with no limit.
    const saved = await orPreviousRelease<Result<Address>>("saveAddress", async () => await c.env.USERS.saveAddress(userId, input), async () => ok(await c.env.USERS.addAddress(userId, input)));
    return send(c, saved, 201);
  })
  .openapi(patchAddress, async (c) => send(c, await c.env.USERS.updateAddress(principalOf(c).userId, c.req.valid("param").id, c.req.valid("json"))))
  .openapi(deleteAddress, async (c) => sendNoContent(c, await c.env.USERS.deleteAddress(principalOf(c).userId, c.req.valid("param").id)));
