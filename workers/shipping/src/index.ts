import { captureMessage, withSentry } from "@sentry/cloudflare";
import { sentryOptions, sentryWhenConfigured } from "../../../shared/observability.ts";
import { fail, ok, type Result } from "../../../shared/errors.ts";
import type {
  CreateShippingOptionInput,
  CreateShippingZoneInput,
  Shipment,
  ShipmentEventStatus,
  ShippingOptionDetail,
  ShippingQuote,
  ShippingZone,
  UpdateShippingOptionInput,
  UpdateShippingZoneInput,
} from "../../../shared/schemas/shipping.ts";
import { DomainService } from "../../../shared/service.ts";
import { createOption, createZone, listZones, updateOption, updateZone } from "./admin.ts";
import { getOptionDetail, listOptions, priceQuote, quoteRows } from "./options.ts";
import { cachedQuoteRows, clearQuoteCache } from "./quote-cache.ts";
import { syncOrder } from "./order-sync.ts";
import { publishShipmentEvent } from "./shipment-events.ts";
import { advance, cancelShipment, createShipment, findById, findByTrackingNumber, getShipmentForOrder, toShipment } from "./shipments.ts";
import { LOCAL_CARRIER_WEBHOOK_SECRET, verifyAndParseCarrierWebhook } from "./webhook.ts";

/** RPC surface of the shipping Worker. Inputs arrive already validated by the gateway. */
class ShippingServiceBase extends DomainService<ShippingEnv> {
  protected static override readonly worker = "shipping";
  async listOptions(country: string, weightGrams = 0): Promise<ShippingQuote[]> {
    return listOptions(this.db(), country, weightGrams);
  }

  async quote(optionId: string, country: string, weightGrams: number): Promise<Result<ShippingQuote>> {
    const rows = await cachedQuoteRows(optionId, country, () => quoteRows(this.db(), optionId, country), (p) => this.ctx.waitUntil(p));
    return priceQuote(rows, country, weightGrams);
  }

  async getOption(optionId: string): Promise<Result<ShippingOptionDetail>> {
    return getOptionDetail(this.db(), optionId);
  }

  async listZones(): Promise<ShippingZone[]> {
    return listZones(this.db());
  }

  async createZone(input: CreateShippingZoneInput): Promise<Result<ShippingZone>> {
    const r = await createZone(this.db(), input);
    clearQuoteCache();
    return r;
  }

  async updateZone(zoneId: string, input: UpdateShippingZoneInput): Promise<Result<ShippingZone>> {
    const r = await updateZone(this.db(), zoneId, input);
    clearQuoteCache();
    return r;
  }

  async createOption(input: CreateShippingOptionInput): Promise<Result<ShippingOptionDetail>> {
    const r = await createOption(this.db(), input);
    clearQuoteCache();
    return r;
  }

  async updateOption(optionId: string, input: UpdateShippingOptionInput): Promise<Result<ShippingOptionDetail>> {
    const r = await updateOption(this.db(), optionId, input);
    clearQuoteCache();
    return r;
  }

  async createShipment(orderId: string, userId: string): Promise<Result<Shipment>> {
    const created = await createShipment(this.httpDb(), orderId, userId);
    if (!created.ok) return created;
    const published = await publishShipmentEvent(this.env.EVENTS_QUEUE, created.value, userId, "created");
    return published.ok ? created : published;
  }

  async getShipmentForOrder(orderId: string): Promise<Result<Shipment>> {
    return getShipmentForOrder(this.db(), orderId);
  }

  /**
   * Moves the shipment forward (never back) and brings its order along. The
   * shipment of a cancelled (or failed) order does not move: 409, so parcel
   * and order never disagree.
   *
   * A parcel about to leave (its shipment still `pending`) asks its order
   * first: the order's OrderDO takes either this step to `shipped` or a cancel,
   * never both, so a scan racing a cancel (or a provider's refund) cannot leave
   * a refunded, restocked order with a parcel on its way. Only then does the
   * shipment move. Should that write fail, the order says `shipped` with its
   * parcel still `pending` until the event is sent again (a carrier retries
   * anything but a 2xx), which costs no money and no stock.
   */
  async addEvent(shipmentId: string, status: ShipmentEventStatus, source = "admin"): Promise<Result<Shipment>> {
    const db = this.db();
    const row = await findById(db, shipmentId);
    if (!row) return fail("NOT_FOUND", "Shipment not found.");
    let confirmed = false; // the order took the step to shipped already
    if (row.status === "pending") {
      // CONFLICT: the order is cancelled, or a cancel is under way. NOT_FOUND: no order to follow (a shipment made by
      // hand), which moves on its own as before.
      const leaving = await this.env.ORDERS.applyShipmentStatus(row.orderId, "shipped", new Date().toISOString());
      if (!leaving.ok && leaving.error.code === "CONFLICT") {
        const ended = await this.orderEnded(row.orderId);
        // A cancel under way may yet be refused (its refund, say): the scan is not lost but sent again (503).
        return ended.ok ? fail("SERVICE_UNAVAILABLE", "The order is being cancelled: send the event again shortly.") : ended;
      }
      if (!leaving.ok && leaving.error.code !== "NOT_FOUND") return leaving;
      confirmed = leaving.ok;
    } else {
      const ended = await this.orderEnded(row.orderId);
      if (!ended.ok) return ended;
    }
    const moved = await advance(db, shipmentId, status, source);
    if (!moved.ok) return moved;
    await syncOrder(db, this.env.ORDERS, moved.value, confirmed ? ["in_transit"] : []);
    const shipment = await toShipment(db, moved.value);
    if (shipment.status === "delivered") {
      const published = await publishShipmentEvent(this.env.EVENTS_QUEUE, shipment, moved.value.userId, "delivered");
      if (!published.ok) return published;
    }
    return ok(shipment);
  }

  /** 409 when the shipment's order was cancelled or failed, for good: its parcel may not move. */
  private async orderEnded(orderId: string): Promise<Result<null>> {
    const order = await this.env.ORDERS.getOrder({ userId: "shipping", role: "admin" }, orderId);
    if (order.ok && (order.value.status === "cancelled" || order.value.status === "failed")) {
      return fail("CONFLICT", `The order was ${order.value.status}: its shipment can no longer move.`);
    }
    return ok(null);
  }

  /** The order was cancelled before its parcel left: its shipment becomes `cancelled` (idempotent; the OrderDO's follow-up). */
  async cancelShipment(orderId: string): Promise<Result<null>> {
    const r = await cancelShipment(this.db(), orderId);
    return r.ok ? ok(null) : r;
  }

  /**
   * A signed carrier report, mapped onto addEvent by tracking number. A
   * report on the parcel of a cancelled order is acknowledged (a carrier
   * retries anything else, for good) with the shipment as it is, and
   * reported: a parcel that should not have left is someone's job.
   */
  async handleCarrierWebhook(rawBody: string, signatureHeader: string | null): Promise<Result<Shipment>> {
    const secret = this.env.CARRIER_WEBHOOK_SECRET || (this.env.ENVIRONMENT === "dev" ? LOCAL_CARRIER_WEBHOOK_SECRET : "");
    const event = await verifyAndParseCarrierWebhook(secret, rawBody, signatureHeader, Math.floor(Date.now() / 1000));
    if (!event.ok) return event;
    const db = this.db();
    const row = await findByTrackingNumber(db, event.value.trackingNumber);
    if (!row) return fail("NOT_FOUND", "No shipment has this tracking number.");
    const moved = await this.addEvent(row.id, event.value.status, "carrier");
    if (moved.ok || moved.error.code !== "CONFLICT") return moved;
    const msg = `carrier reports ${event.value.status} for the parcel of a cancelled order`;
    console.error(JSON.stringify({ level: "warn", worker: "shipping", msg, shipmentId: row.id, orderId: row.orderId, trackingNumber: row.trackingNumber }));
    captureMessage(msg, { level: "warning", tags: { shipmentId: row.id, orderId: row.orderId } });
    return ok(await toShipment(db, (await findById(db, row.id)) ?? row));
  }
}

/** Instrumented with Sentry: a thrown error (a bug, never an expected failure) is reported. */
export const ShippingService = sentryWhenConfigured(ShippingServiceBase, withSentry((env: ShippingEnv) => sentryOptions(env), ShippingServiceBase));
export default ShippingService;
