import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { IdParamSchema, pageSchema } from "../../../../shared/schemas/common.ts";
import { ProductCreateSchema, ProductListQuerySchema, ProductPatchSchema, ProductSchema, type Product, type ProductPatchInput } from "../../../../shared/schemas/catalog.ts";
import type { AppEnv } from "../context.ts";
import { requireAuth } from "../middleware/auth.ts";
import { bearer, jsonBody, jsonResponse, problems } from "../openapi.ts";
import { readThrough, settled } from "../read-cache.ts";
import { send, sendJson, sendNoContent } from "../respond.ts";

const list = createRoute({
  method: "get",
  path: "/v1/products",
  tags: ["Catalog"],
  summary: "Products, oldest first, filtered by category slug and text (public)",
  request: { query: ProductListQuerySchema },
  responses: { 200: jsonResponse(pageSchema(ProductSchema, "ProductPage"), "A page of products"), ...problems(400) },
});

const get = createRoute({
  method: "get",
  path: "/v1/products/{id}",
  tags: ["Catalog"],
  summary: "One product with live availability (public)",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(ProductSchema, "The product"), ...problems(404) },
});

const create = createRoute({
  method: "post",
  path: "/v1/products",
  tags: ["Catalog"],
  summary: "Create a product with its variants and initial stock (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: jsonBody(ProductCreateSchema),
  responses: { 201: jsonResponse(ProductSchema, "Created"), ...problems(400, 401, 403, 409) },
});

const patch = createRoute({
  method: "patch",
  path: "/v1/products/{id}",
  tags: ["Catalog"],
  summary: "Change title, description, category, or variants' prices, titles and weights (admin)",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: IdParamSchema, ...jsonBody(ProductPatchSchema) },
  responses: { 200: jsonResponse(ProductSchema, "Updated"), ...problems(400, 401, 403, 404) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/products/{id}",
  tags: ["Catalog"],
  summary: "Delete a product (admin); its SKUs can no longer be bought",
  security: bearer,
  middleware: [requireAuth("admin")] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
});

const skusOf = (p: Product) => p.variants.map((v) => v.sku);

/** A patch the previous release's catalog would misread: a variant's title or weight, or a variant without a price. */
const namesVariantDetails = (input: ProductPatchInput) =>
  (input.variants ?? []).some((v) => v.price === undefined || v.title !== undefined || v.weightGrams !== undefined);

export const productRoutes = new OpenAPIHono<AppEnv>()
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    return sendJson(c, await readThrough(c, () => c.env.CATALOG.listProducts(query), (page) => page.items.flatMap(skusOf)));
  })
  .openapi(get, async (c) => {
    const id = c.req.valid("param").id;
    return sendJson(c, await readThrough(c, () => c.env.CATALOG.getProduct(id), skusOf));
  })
  // Writes answer once no cache can still show what they replaced (read-cache.ts).
  .openapi(create, async (c) => send(c, await settled(c.env, await c.env.CATALOG.createProduct(c.req.valid("json"))), 201))
  .openapi(patch, async (c) => {
    const [id, input] = [c.req.valid("param").id, c.req.valid("json")];
    const catalog = c.env.CATALOG;
    return send(c, await settled(c.env, await (namesVariantDetails(input) ? catalog.updateProductDetails(id, input) : catalog.updateProduct(id, input))));
  })
  .openapi(remove, async (c) => sendNoContent(c, await settled(c.env, await c.env.CATALOG.deleteProduct(c.req.valid("param").id))));
