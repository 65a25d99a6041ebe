import { withSentry } from "@sentry/cloudflare";
import { sentryOptions, sentryWhenConfigured } from "../../../shared/observability.ts";
import { DomainService } from "../../../shared/service.ts";
import { handleBatch } from "./queue.ts";
import type { Result } from "../../../shared/errors.ts";
import type { Page } from "../../../shared/pagination.ts";
import { replayDeadLetter } from "./replay.ts";
import { listDeadLetterPage, listNotificationPage, salesReport, type DeadLetterQuery, type DeadLetterView, type ListQuery, type NotificationView, type SalesReport } from "./reports.ts";

/** What the previous release's gateway read in one call, unpaged. */
const PREVIOUS_RELEASE_LIST_SIZE = 100;

/** RPC surface of the events Worker: what admins read about consumed events. */
class EventsServiceBase extends DomainService<EventsEnv> {
  protected static override readonly worker = "events";
  async listNotificationPage(query: ListQuery & { orderId?: string | undefined }): Promise<Result<Page<NotificationView>>> {
    return listNotificationPage(this.db(), query);
  }

  /** The previous release's gateway's call (the newest 100, unpaged): kept while a gateway of that release may run. */
  async listNotifications(orderId?: string): Promise<NotificationView[]> {
    const page = await listNotificationPage(this.db(), { limit: PREVIOUS_RELEASE_LIST_SIZE, orderId });
    return page.ok ? page.value.items : [];
  }

  async salesReport(from: string, to: string): Promise<SalesReport> {
    return salesReport(this.db(), from, to);
  }

  async listDeadLetterPage(query: DeadLetterQuery): Promise<Result<Page<DeadLetterView>>> {
    return listDeadLetterPage(this.db(), query);
  }

  /** Applies a dead letter's event as the queue would, then marks it replayed (`replayDeadLetter`). Added in this release. */
  async replayDeadLetter(id: string): Promise<Result<DeadLetterView>> {
    return replayDeadLetter(this.db(), this.env, id);
  }

  /** The previous release's gateway's call (the newest 100, unpaged): kept while a gateway of that release may run. */
  async listDeadLetters(): Promise<DeadLetterView[]> {
    const page = await listDeadLetterPage(this.db(), { limit: PREVIOUS_RELEASE_LIST_SIZE });
    return page.ok ? page.value.items : [];
  }

  /** Queue consumer for domain events and their dead-letter queue. */
  override async queue(batch: MessageBatch<unknown>): Promise<void> {
    await handleBatch(batch, this.env);
  }
}

export const EventsService = sentryWhenConfigured(EventsServiceBase, withSentry((env: EventsEnv) => sentryOptions(env), EventsServiceBase));
export default EventsService;
