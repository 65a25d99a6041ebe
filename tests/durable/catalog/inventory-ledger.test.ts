/// <reference types="@cloudflare/vitest-plugin/types" />
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { StockDO } from "../../../durable/stock-do.ts";
import type { Database } from "../../../shared/db/client.ts";
import { getInventoryLedger } from "../../../workers/catalog/src/inventory.ts";
import type { StockStub } from "../../../workers/catalog/src/stock.ts";

const stockEnv = env as unknown as { STOCK: DurableObjectNamespace<StockDO> };
const noDb = (): Database => {
  throw new Error("an initialised SKU needs no Postgres read");
};

describe("getInventoryLedger", () => {
  it("answers SERVICE_UNAVAILABLE while the StockDO runs the release before (no ledger method yet)", async () => {
    const sku = `T-LEDGER-OLD-${Date.now().toString(36)}`;
    const stub = stockEnv.STOCK.get(stockEnv.STOCK.idFromName(sku));
    await stub.initialise(sku, 5, "prd_test");
    const older = {
      snapshot: () => stub.snapshot(),
      ledger: () => Promise.reject(new TypeError('The RPC receiver does not implement the method "ledger".')),
    } as unknown as StockStub;
    expect(await getInventoryLedger(() => older, noDb, sku, { limit: 20 })).toStrictEqual({
      ok: false,
      error: { code: "SERVICE_UNAVAILABLE", detail: "The stock ledger is not available while a release rolls out; try again shortly." },
    });
    // Any other failure is a bug, and is thrown.
    const broken = { snapshot: () => stub.snapshot(), ledger: () => Promise.reject(new Error("disk on fire")) } as unknown as StockStub;
    await expect(getInventoryLedger(() => broken, noDb, sku, { limit: 20 })).rejects.toThrow("disk on fire");
  });
});
