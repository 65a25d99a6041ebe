import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { ok } from "../../../../shared/errors.ts";
import { IdParamSchema } from "../../../../shared/schemas/common.ts";
import {
  CreateShippingOptionSchema,
  CreateShippingZoneSchema,
  ShippingOptionDetailSchema,
  ShippingOptionsQuerySchema,
  ShippingQuoteSchema,
  ShippingZoneSchema,
  UpdateShippingOptionSchema,
  UpdateShippingZoneSchema,
} from "../../../../shared/schemas/shipping.ts";
import type { AppEnv } from "../context.ts";
import { requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { send } from "../respond.ts";

const listOptions = createRoute({
  method: "get",
  path: "/v1/shipping/options",
  tags: ["Shipping"],
  summary: "Shipping options to a country, priced for a cart weight (public)",
  request: { query: ShippingOptionsQuerySchema },
  responses: { 200: jsonResponse(z.object({ items: z.array(ShippingQuoteSchema) }).openapi("ShippingOptionList"), "Options"), ...problems(400) },
});

const getOption = createRoute({
  method: "get",
  path: "/v1/shipping/options/{id}",
  tags: ["Shipping"],
  summary: "One option with its zone and weight bands (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(ShippingOptionDetailSchema, "The option"), ...problems(401, 403, 404) },
});

const createOption = createRoute({
  method: "post",
  path: "/v1/shipping/options",
  tags: ["Shipping"],
  summary: "Add an option to a zone (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: jsonBody(CreateShippingOptionSchema),
  responses: { 201: jsonResponse(ShippingOptionDetailSchema, "Created"), ...problems(400, 401, 403, 404) },
});

const updateOption = createRoute({
  method: "put",
  path: "/v1/shipping/options/{id}",
  tags: ["Shipping"],
  summary: "Change an option's name, delivery estimate, availability or prices (admin)",
  description: "`price` sets the base of the 0 g band; `rates` replaces every weight band. Fields not sent keep their value.",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: IdParamSchema, ...jsonBody(UpdateShippingOptionSchema) },
  responses: { 200: jsonResponse(ShippingOptionDetailSchema, "Updated"), ...problems(400, 401, 403, 404) },
});

const listZones = createRoute({
  method: "get",
  path: "/v1/shipping/zones",
  tags: ["Shipping"],
  summary: "Every destination zone, the rest-of-world default last (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  responses: { 200: jsonResponse(z.object({ items: z.array(ShippingZoneSchema) }).openapi("ShippingZoneList"), "Zones"), ...problems(401, 403) },
});

const createZone = createRoute({
  method: "post",
  path: "/v1/shipping/zones",
  tags: ["Shipping"],
  summary: "Add a destination zone (admin); a country belongs to one zone at most",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: jsonBody(CreateShippingZoneSchema),
  responses: { 201: jsonResponse(ShippingZoneSchema, "Created"), ...problems(400, 401, 403, 409) },
});

const updateZone = createRoute({
  method: "put",
  path: "/v1/shipping/zones/{id}",
  tags: ["Shipping"],
  summary: "Rename a zone or replace its countries (admin); no countries gives them back to rest of world",
  description: "Fields not sent keep their value. A country another zone serves is 409; the rest-of-world zone takes no `countries`.",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: IdParamSchema, ...jsonBody(UpdateShippingZoneSchema) },
  responses: { 200: jsonResponse(ShippingZoneSchema, "Updated"), ...problems(400, 401, 403, 404, 409) },
});

export const shippingRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listOptions, async (c) => {
    const { country, weightGrams } = c.req.valid("query");
    return send(c, ok({ items: await c.env.SHIPPING.listOptions(country, weightGrams) }));
  })
  .openapi(getOption, async (c) => send(c, await c.env.SHIPPING.getOption(c.req.valid("param").id)))
  .openapi(createOption, async (c) => send(c, await c.env.SHIPPING.createOption(c.req.valid("json")), 201))
  .openapi(updateOption, async (c) => send(c, await c.env.SHIPPING.updateOption(c.req.valid("param").id, c.req.valid("json"))))
  .openapi(listZones, async (c) => send(c, ok({ items: await c.env.SHIPPING.listZones() })))
  .openapi(createZone, async (c) => send(c, await c.env.SHIPPING.createZone(c.req.valid("json")), 201))
  .openapi(updateZone, async (c) => send(c, await c.env.SHIPPING.updateZone(c.req.valid("param").id, c.req.valid("json"))));
