import { z } from "@hono/zod-openapi";
import { newId } from "./ids.ts";
import { MoneyTotalSchema } from "./schemas/common.ts";
import { storedTrace } from "./trace.ts";

export const EVENT_TYPES = ["order.placed", "order.cancelled", "payment.captured", "payment.refunded", "shipment.created", "shipment.delivered"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EventItemSchema = z.object({ sku: z.string(), title: z.string().optional(), quantity: z.number().int(), lineTotal: MoneyTotalSchema });

/**
 * A domain event as it travels on the queue. Delivery is at-least-once, so
 * `id` is what consumers deduplicate on.
 */
export const DomainEventSchema = z.object({
  id: z.string().min(1).max(100),
  type: z.enum(EVENT_TYPES),
  occurredAt: z.string(),
  data: z.looseObject({
    orderId: z.string(),
    userId: z.string().optional(),
    items: z.array(EventItemSchema).optional(),
    total: MoneyTotalSchema.optional(),
    amount: MoneyTotalSchema.optional(),
    paymentId: z.string().optional(),
    shipmentId: z.string().optional(),
    carrier: z.string().optional(),
    trackingNumber: z.string().optional(),
  }),
  /**
   * The trace of the call that caused the event, when it was built inside one: the consumer continues
   * it, so one trace id finds a checkout's queue work too. Absent when an alarm rebuilt the event.
   */
  trace: z.object({ traceparent: z.string().max(64), requestId: z.string().max(128) }).optional(),
});
export type DomainEvent = z.infer<typeof DomainEventSchema>;

/**
 * Builds an event. Producers pass a deterministic `id` derived from the state
 * change (e.g. `evt_placed_<orderId>`) so a retried publish is the same event.
 */
export function domainEvent(type: EventType, data: DomainEvent["data"], id = newId("evt")): DomainEvent {
  const trace = storedTrace();
  return { id, type, occurredAt: new Date().toISOString(), data, ...(trace ? { trace } : {}) };
}
