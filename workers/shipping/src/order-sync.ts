import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { shipmentEvents, shipments, type ShipmentRow } from "../../../shared/db/schema/index.ts";
import type { ForwardShipmentStatus } from "../../../shared/schemas/shipping.ts";
import { RANK } from "./shipments.ts";
import { errorText } from "../../../shared/observability.ts";

const ORDER_STATUS = { in_transit: "shipped", delivered: "delivered" } as const;
const STEPS = ["in_transit", "delivered"] as const;

function log(level: "warn" | "error", msg: string, fields: Record<string, unknown>): void {
  console[level](JSON.stringify({ level, worker: "shipping", msg, ...fields }));
}

/**
 * Brings the order up to its shipment: each step the orders Worker has not yet
 * acknowledged (`orderSyncedStatus`) is sent in order, shipped before
 * delivered, with the event's own timestamp. applyShipmentStatus is
 * idempotent, so a concurrent duplicate call is harmless; a step the order
 * already took (`acknowledged`: the step to shipped, asked before the parcel
 * left) is only marked. A failure is logged
 * and left unacknowledged: the next event (or a repeat) for this shipment
 * retries it, so the order cannot stay behind for good.
 */
export async function syncOrder(db: Database, orders: ShippingEnv["ORDERS"], row: ShipmentRow, acknowledged: readonly ForwardShipmentStatus[] = []): Promise<void> {
  const status = row.status;
  if (status === "cancelled") return; // the order moved first: nothing to bring it
  const pending = STEPS.filter((s) => RANK[s] > RANK[row.orderSyncedStatus] && RANK[s] <= RANK[status]);
  if (pending.length === 0) return;
  // The events' times are only needed for steps still to be told (none on a first scan the order already took).
  const events = pending.some((s) => !acknowledged.includes(s)) ? await db.select().from(shipmentEvents).where(eq(shipmentEvents.shipmentId, row.id)) : [];
  for (const step of pending) {
    const at = (events.find((e) => e.status === step)?.at ?? row.updatedAt).toISOString();
    if (!acknowledged.includes(step) && !(await tell(orders, row, step, at))) return;
    const behind = (Object.keys(RANK) as ForwardShipmentStatus[]).filter((s) => RANK[s] < RANK[step]);
    await db
      .update(shipments)
      .set({ orderSyncedStatus: step })
      .where(and(eq(shipments.id, row.id), inArray(shipments.orderSyncedStatus, behind)));
  }
}

/** Sends one step to the order; false (logged) when it was refused or the call failed. */
async function tell(orders: ShippingEnv["ORDERS"], row: ShipmentRow, step: (typeof STEPS)[number], at: string): Promise<boolean> {
  try {
    const result = await orders.applyShipmentStatus(row.orderId, ORDER_STATUS[step], at);
    if (result.ok) return true;
    log("warn", "order refused shipment status", { orderId: row.orderId, shipmentId: row.id, status: step, code: result.error.code });
  } catch (err) {
    log("error", "order shipment status call failed", { orderId: row.orderId, shipmentId: row.id, status: step, error: errorText(err) });
  }
  return false;
}
