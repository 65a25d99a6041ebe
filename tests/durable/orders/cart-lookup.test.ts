/// <reference types="@cloudflare/vitest-plugin/types" />
import { describe, expect, it } from "vitest";
import { cartVariants } from "../../../workers/orders/src/cart.ts";
import { ordersEnv, stockedVariant, uid } from "./fixtures.ts";

/** What add to cart asks the catalog: price snapshot and `available` in one call, and the fallback for an older catalog. */
describe("add to cart's catalog look-up", () => {
  it("answers price and live availability in one call, leaving out SKUs not sold", async () => {
    const v = await stockedVariant(5, 1250);
    expect(await ordersEnv.CATALOG.getCartVariants([v.sku, "NO-SUCH-SKU"])).toStrictEqual({ [v.sku]: { ...v, available: 5 } });
    expect(await ordersEnv.CATALOG.reserve(uid("hold"), [{ sku: v.sku, quantity: 2 }], 300)).toMatchObject({ ok: true });
    expect((await ordersEnv.CATALOG.getCartVariants([v.sku]))[v.sku]?.available).toBe(3);
  });

  it("falls back to the two calls it replaced when the catalog is a release without it, and passes other errors on", async () => {
    const v = await stockedVariant(4);
    const catalogWithout = (error: Error) => ({
      CATALOG: {
        getCartVariants: () => Promise.reject(error),
        getVariants: (skus: string[]) => ordersEnv.CATALOG.getVariants(skus),
        getAvailability: (skus: string[]) => ordersEnv.CATALOG.getAvailability(skus),
      } as unknown as OrdersEnv["CATALOG"],
    });
    const older = catalogWithout(new TypeError('The RPC receiver does not implement the method "getCartVariants".'));
    expect(await cartVariants(older, v.sku)).toStrictEqual({ [v.sku]: { ...v, available: 4 } });
    expect(await cartVariants(older, "NO-SUCH-SKU")).toStrictEqual({});
    await expect(cartVariants(catalogWithout(new Error("catalog down")), v.sku)).rejects.toThrow("catalog down");
  });
});
