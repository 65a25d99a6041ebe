import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { AdjustmentSchema, InventoryLedgerEntrySchema, InventorySchema, SkuParamSchema } from "../../../../shared/schemas/catalog.ts";
import { ListQuerySchema, pageSchema } from "../../../../shared/schemas/common.ts";
import type { AppEnv } from "../context.ts";
import { requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { settled } from "../read-cache.ts";
import { send } from "../respond.ts";

const get = createRoute({
  method: "get",
  path: "/v1/inventory/{sku}",
  tags: ["Inventory"],
  summary: "Live stock of a SKU (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: SkuParamSchema },
  responses: { 200: jsonResponse(InventorySchema, "Stock counts"), ...problems(400, 401, 403, 404) },
});

const adjust = createRoute({
  method: "post",
  path: "/v1/inventory/{sku}/adjustments",
  tags: ["Inventory"],
  summary: "Add or remove units on hand (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: SkuParamSchema, ...jsonBody(AdjustmentSchema) },
  responses: { 200: jsonResponse(InventorySchema, "Stock after the adjustment"), ...problems(400, 401, 403, 404, 409) },
});

const ledger = createRoute({
  method: "get",
  path: "/v1/inventory/{sku}/ledger",
  tags: ["Inventory"],
  summary: "Every change to a SKU's stock, newest first (admin)",
  description:
    "The StockDO's ledger: the initial stock, adjustments (with their reason), reservations, commits (sales), releases, expiries and restocks. " +
    "`delta` is the change of `onHand` for init, adjust, commit and restock, and of `available` for reserve, release and expire. " +
    "Init, adjust, commit and restock entries are kept for good, so their deltas always add up to `onHand`; a hold's reserve, release and " +
    "expire entries are kept for a week after the hold closes (as long as its reservation is kept for retries).",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: SkuParamSchema, query: ListQuerySchema },
  responses: { 200: jsonResponse(pageSchema(InventoryLedgerEntrySchema, "InventoryLedgerPage"), "Ledger entries"), ...problems(400, 401, 403, 404, 503) },
});

export const inventoryRoutes = new OpenAPIHono<AppEnv>()
  .openapi(get, async (c) => send(c, await c.env.CATALOG.getInventory(c.req.valid("param").sku)))
  .openapi(ledger, async (c) => send(c, await c.env.CATALOG.getInventoryLedger(c.req.valid("param").sku, c.req.valid("query"))))
  .openapi(adjust, async (c) => {
    const sku = c.req.valid("param").sku;
    return send(c, await settled(c.env, await c.env.CATALOG.adjustInventory(sku, c.req.valid("json")), [sku]));
  });
