import { domainEvent } from "../../../shared/events.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type { Shipment } from "../../../shared/schemas/shipping.ts";
import { errorText } from "../../../shared/observability.ts";

/**
 * Publishes shipment.created / shipment.delivered with ids derived from the
 * shipment, so a republish is the same event (consumers deduplicate). The
 * caller of a state change (the OrderDO's follow-ups, an admin, a carrier)
 * retries until this succeeds, which makes delivery at-least-once.
 */
export async function publishShipmentEvent(queue: Queue, shipment: Shipment, userId: string | undefined, kind: "created" | "delivered"): Promise<Result<null>> {
  const event = domainEvent(
    `shipment.${kind}`,
    { orderId: shipment.orderId, ...(userId ? { userId } : {}), shipmentId: shipment.id, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber },
    `evt_shipment_${kind}_${shipment.id}`,
  );
  try {
    await queue.send(event);
    return ok(null);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", worker: "shipping", msg: "publishing a shipment event failed", eventId: event.id, error: errorText(err) }));
    return fail("SERVICE_UNAVAILABLE", "The shipment changed but its event could not be published yet; retry.");
  }
}
