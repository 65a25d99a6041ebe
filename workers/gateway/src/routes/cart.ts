import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { ok } from "../../../../shared/errors.ts";
import { AddCartItemSchema, CartSchema, SkuParamSchema, UpdateCartItemSchema } from "../../../../shared/schemas/cart.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { send, sendNoContent } from "../respond.ts";


const getCart = createRoute({
  method: "get",
  path: "/v1/cart",
  tags: ["Cart"],
  summary: "The caller's cart (empty when nothing was added)",
  security: bearer,
  middleware: [requireAuth("customer")] as const,
  responses: { 200: jsonResponse(CartSchema, "The cart"), ...problems(401, 403) },
});

const addItem = createRoute({
  method: "post",
  path: "/v1/cart/items",
  tags: ["Cart"],
  summary: "Add units of a SKU (adds to an existing line)",
  security: bearer,
  middleware: [requireAuth("customer")] as const,
  request: jsonBody(AddCartItemSchema),
  responses: { 200: jsonResponse(CartSchema, "The cart"), ...problems(400, 401, 403, 404, 409) },
});

const updateItem = createRoute({
  method: "patch",
  path: "/v1/cart/items/{sku}",
  tags: ["Cart"],
  summary: "Set a line's quantity (0 removes it)",
  security: bearer,
  middleware: [requireAuth("customer")] as const,
  request: { params: SkuParamSchema, ...jsonBody(UpdateCartItemSchema) },
  responses: { 200: jsonResponse(CartSchema, "The cart"), ...problems(400, 401, 403, 404, 409) },
});

const removeItem = createRoute({
  method: "delete",
  path: "/v1/cart/items/{sku}",
  tags: ["Cart"],
  summary: "Remove a line",
  security: bearer,
  middleware: [requireAuth("customer")] as const,
  request: { params: SkuParamSchema },
  responses: { 200: jsonResponse(CartSchema, "The cart"), ...problems(401, 403, 404) },
});

const clearCart = createRoute({
  method: "delete",
  path: "/v1/cart",
  tags: ["Cart"],
  summary: "Empty the cart",
  security: bearer,
  middleware: [requireAuth("customer")] as const,
  responses: { 204: { description: "Emptied" }, ...problems(401, 403) },
});

// The cart is a customer resource (API.md "Cart (customer)"): an admin token gets 403.
export const cartRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getCart, async (c) => send(c, ok(await c.env.ORDERS.getCart(principalOf(c).userId))))
  .openapi(addItem, async (c) => send(c, await c.env.ORDERS.addCartItem(principalOf(c).userId, c.req.valid("json"))))
  .openapi(updateItem, async (c) => {
    const { sku } = c.req.valid("param");
    return send(c, await c.env.ORDERS.updateCartItem(principalOf(c).userId, sku, c.req.valid("json").quantity));
  })
  .openapi(removeItem, async (c) => send(c, await c.env.ORDERS.removeCartItem(principalOf(c).userId, c.req.valid("param").sku)))
  .openapi(clearCart, async (c) => sendNoContent(c, await c.env.ORDERS.clearCart(principalOf(c).userId)));
