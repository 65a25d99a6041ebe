import { withSentry } from "@sentry/cloudflare";
import { sentryOptions, sentryWhenConfigured } from "../../../shared/observability.ts";
import { DomainService } from "../../../shared/service.ts";
import { handleBatch } from "./queue.ts";
import { listDeadLetters, listNotifications, salesReport, type DeadLetterView, type NotificationView, type SalesReport } from "./reports.ts";

/** RPC surface of the events Worker: what admins read about consumed events. */
class EventsServiceBase extends DomainService<EventsEnv> {
  protected static override readonly worker = "events";
  async listNotifications(orderId?: string): Promise<NotificationView[]> {
    return listNotifications(this.db(), orderId);
  }

  async salesReport(from: string, to: string): Promise<SalesReport> {
    return salesReport(this.db(), from, to);
  }

  async listDeadLetters(): Promise<DeadLetterView[]> {
    return listDeadLetters(this.db());
  }

  /** Queue consumer for domain events and their dead-letter queue. */
  override async queue(batch: MessageBatch<unknown>): Promise<void> {
    await handleBatch(batch, this.env);
  }
}

export const EventsService = sentryWhenConfigured(EventsServiceBase, withSentry((env: EventsEnv) => sentryOptions(env), EventsServiceBase));
export default EventsService;
