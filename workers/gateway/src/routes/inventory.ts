import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { ok, orPreviousRelease } from "../../../../shared/errors.ts";
import { AdjustmentSchema, InventoryLedgerEntrySchema, InventorySchema, SkuParamSchema } from "../../../../shared/schemas/catalog.ts";
import { ListQuerySchema, pageSchema } from "../../../../shared/schemas/common.ts";
import type { AppEnv } from "../context.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { settled } from "../read-cache.ts";
import { problem, send } from "../respond.ts";

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
  description:
    "With an `Idempotency-Key` header the adjustment is made once: a retry of a request whose answer was lost answers 200 with the stock " +
    "as it is now (not as the first answer showed it) and `idempotent-replayed: true`, and the same key with another delta or reason is 422 " +
    "`IDEMPOTENCY_KEY_REUSED`. Only adjustments made are remembered: a refused one (409) changed nothing, and the same key may be sent again. " +
    "Keys are per admin and SKU and kept at least 7 days. Without one, every request is a new adjustment.",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: {
    params: SkuParamSchema,
    headers: z.object({
      "idempotency-key": z
        .string()
        .min(1)
        .max(255)
        .optional()
        .openapi({ param: { name: "idempotency-key", in: "header" }, description: "Optional, 1-255 characters: makes a retried adjustment count once" }),
    }),
    ...jsonBody(AdjustmentSchema),
  },
  responses: {
    200: {
      ...jsonResponse(InventorySchema, "Stock after the adjustment"),
      headers: {
        "idempotent-replayed": {
          description: "`true` when an earlier request with the same `Idempotency-Key` made this adjustment (the body is the stock now)",
          schema: { type: "string", enum: ["true"] },
        },
      },
    },
    ...problems(400, 401, 403, 404, 409, 422),
  },
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
    const input = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    // With a key, a catalog of the release before (no adjustInventoryOnce, a rollout under way) is a 503 to retry, as any
    // method not rolled out yet is: making the adjustment without its key could make a retry count twice.
    const r =
      key === undefined
        ? await orPreviousRelease("adjustInventoryOnce", () => c.env.CATALOG.adjustInventoryOnce(sku, input), async () => {
            const plain = await c.env.CATALOG.adjustInventory(sku, input);
            return plain.ok ? ok({ inventory: plain.value, replayed: false }) : plain;
          })
        : await c.env.CATALOG.adjustInventoryOnce(sku, input, `${principalOf(c).userId}:${key}`);
    const done = await settled(c.env, r, [sku]);
    if (!done.ok) return problem(c, done.error);
    return c.json(done.value.inventory, 200, done.value.replayed ? { "idempotent-replayed": "true" } : {});
  });
