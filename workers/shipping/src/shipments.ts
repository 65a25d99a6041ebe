import { eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../../shared/db/client.ts";
import { isUniqueViolation } from "../../../shared/db/client.ts";
import type { HttpDatabase } from "../../../shared/db/http.ts";
import { shipmentEvents, shipments, type ShipmentEventRow, type ShipmentRow } from "../../../shared/db/schema/index.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import type { ForwardShipmentStatus, Shipment, ShipmentEventStatus, ShipmentStatus } from "../../../shared/schemas/shipping.ts";
import { DEFAULT_CARRIER } from "./admin.ts";

/** Position of a status in the only direction a shipment moves. */
export const RANK: Record<ForwardShipmentStatus, number> = { pending: 0, in_transit: 1, delivered: 2 };
const ORDER: ForwardShipmentStatus[] = ["pending", "in_transit", "delivered"];
/** Order of a shipment's history: the way it moved, or created and then cancelled. */
const HISTORY_RANK: Record<ShipmentStatus, number> = { ...RANK, cancelled: 3 };

/** A tracking number like `EP4F1A09C2D37B6E81`: carrier prefix plus 64 random bits. */
function trackingNumber(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return `EP${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase()}`;
}

/** The shipment with its history, oldest status first. */
export async function toShipment(db: Database, row: ShipmentRow): Promise<Shipment> {
  return shipmentOf(row, await db.select().from(shipmentEvents).where(eq(shipmentEvents.shipmentId, row.id)));
}

function shipmentOf(row: ShipmentRow, events: ShipmentEventRow[]): Shipment {
  const ordered = [...events].sort((a, b) => HISTORY_RANK[a.status] - HISTORY_RANK[b.status]);
  return {
    id: row.id,
    orderId: row.orderId,
    status: row.status,
    carrier: row.carrier,
    trackingNumber: row.trackingNumber,
    events: ordered.map((e) => ({ status: e.status, at: e.at.toISOString() })),
  };
}

/**
 * Creates the order's shipment in `pending` with a fresh tracking number.
 * Idempotent by orderId: the unique key makes a retry (or a concurrent
 * duplicate) find the first shipment instead of creating a second. One
 * batch (one transaction, one fetch on the HTTP query path): the insert, its
 * first event only if this insert made the row, and the order's shipment as
 * it now is.
 */
export async function createShipment(db: HttpDatabase, orderId: string, userId: string): Promise<Result<Shipment>> {
  const id = newId("shm");
  const ofOrder = db.select({ id: shipments.id }).from(shipments).where(eq(shipments.orderId, orderId));
  try {
    const [, , [row], events] = await db.batch([
      db.insert(shipments).values({ id, orderId, userId, carrier: DEFAULT_CARRIER, trackingNumber: trackingNumber() }).onConflictDoNothing({ target: shipments.orderId }),
      db.execute(sql`insert into ${shipmentEvents} (shipment_id, status, source) select ${shipments.id}, 'pending', 'created' from ${shipments} where ${shipments.id} = ${id}`),
      db.select().from(shipments).where(eq(shipments.orderId, orderId)).limit(1),
      db.select().from(shipmentEvents).where(inArray(shipmentEvents.shipmentId, ofOrder)),
    ]);
    return row ? ok(shipmentOf(row, events)) : fail("NOT_FOUND", "This order has no shipment: one is made once the order is paid (moments after), and a failed order, or one cancelled first, has none.");
  } catch (err) {
    // A tracking-number collision (2^-64) is worth one retry, not a failure.
    if (!isUniqueViolation(err, "shipments_tracking_number_unique")) throw err;
    return createShipment(db, orderId, userId);
  }
}

export async function getShipmentForOrder(db: Database, orderId: string): Promise<Result<Shipment>> {
  const [row] = await db.select().from(shipments).where(eq(shipments.orderId, orderId)).limit(1);
  return row ? ok(await toShipment(db, row)) : fail("NOT_FOUND", "This order has no shipment: one is made once the order is paid (moments after), and a failed order, or one cancelled first, has none.");
}

export async function findById(db: Database, shipmentId: string): Promise<ShipmentRow | undefined> {
  const [row] = await db.select().from(shipments).where(eq(shipments.id, shipmentId)).limit(1);
  return row;
}

export async function findByTrackingNumber(db: Database, trackingNumber: string): Promise<ShipmentRow | undefined> {
  const [row] = await db.select().from(shipments).where(eq(shipments.trackingNumber, trackingNumber)).limit(1);
  return row;
}

/**
 * Moves a shipment forward to `status`, never back: the row is locked, and a
 * status at or behind the current one changes nothing (late or repeated
 * events are harmless). Skipped steps are recorded too (delivered straight
 * from pending also records in_transit) so the history is always complete.
 * Returns the row after the change, or NOT_FOUND.
 */
export async function advance(db: Database, shipmentId: string, status: ShipmentEventStatus, source: string): Promise<Result<ShipmentRow>> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(shipments).where(eq(shipments.id, shipmentId)).for("update").limit(1);
    if (!row) return fail("NOT_FOUND", "Shipment not found.");
    if (row.status === "cancelled") return fail("CONFLICT", "The order was cancelled: its shipment can no longer move.");
    if (RANK[status] <= RANK[row.status]) return ok(row);
    const at = new Date();
    const steps = ORDER.slice(RANK[row.status] + 1, RANK[status] + 1);
    await tx
      .insert(shipmentEvents)
      .values(steps.map((s) => ({ shipmentId, status: s, at, source })))
      .onConflictDoNothing();
    const [updated] = await tx.update(shipments).set({ status, updatedAt: at }).where(eq(shipments.id, shipmentId)).returning();
    if (!updated) throw new Error("update returned no row");
    return ok(updated);
  });
}

/**
 * The order was cancelled: a shipment still `pending` (the parcel has not
 * left) becomes `cancelled`, with the step in its history. Idempotent; an
 * order with no shipment, or one already cancelled, changes nothing. A
 * parcel that left already keeps its status (the order can not have been
 * cancelled after that: cancelling needs a paid, unshipped order).
 */
export async function cancelShipment(db: Database, orderId: string): Promise<Result<ShipmentRow | null>> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(shipments).where(eq(shipments.orderId, orderId)).for("update").limit(1);
    if (!row || row.status !== "pending") return ok(row ?? null);
    const at = new Date();
    await tx.insert(shipmentEvents).values({ shipmentId: row.id, status: "cancelled", at, source: "order" }).onConflictDoNothing();
    const [updated] = await tx.update(shipments).set({ status: "cancelled", updatedAt: at }).where(eq(shipments.id, row.id)).returning();
    return ok(updated ?? row);
  });
}
