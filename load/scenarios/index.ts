/** Every scenario by name. */
import { admin } from "./admin.ts";
import { browse } from "./browse.ts";
import { flashSale } from "./flash-sale.ts";
import { mixed } from "./mixed.ts";
import { shopper } from "./shopper.ts";
import type { Scenario } from "./types.ts";

export const SCENARIOS: Record<string, Scenario> = { browse, shopper, "flash-sale": flashSale, admin, mixed };
