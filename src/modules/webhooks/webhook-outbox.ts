import type { Db } from '../audit/audit.repository';
import type { AuditEvent, AuditListener } from '../audit/audit.service';
import { splitEvent, webhookEventsOf, type OutboxEvent } from './webhook-events';
import type { WebhooksRepository } from './webhooks.repository';

/** MLflow's payload time: ISO 8601 in UTC with an explicit offset, as Python's isoformat() writes it. */
export const isoTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

/** The exact body MLflow 3 sends for an event (mlflow/webhooks/delivery.py): entity, action, timestamp, data. */
export function bodyOf(e: Pick<OutboxEvent, 'event' | 'data'>, timestampMs: number): string {
  const { entity, action } = splitEvent(e.event);
  return JSON.stringify({ entity, action, timestamp: isoTime(timestampMs), data: e.data });
}

/**
 * The transactional outbox (docs/architecture.md "Events"): the audit trail's recording point hands
 * every event here, in the change's own transaction, so the webhook deliveries commit with the change
 * or not at all. Nothing is written when no active webhook subscribes to the event.
 */
export class WebhookOutbox implements AuditListener {
  constructor(
    private readonly repo: WebhooksRepository,
    /** Whether a registered model is a prompt, in the change's transaction (the registry's lookup). */
    private readonly isPrompt: (modelId: bigint, db: Db) => Promise<boolean>,
    private readonly onEnqueued: () => void = () => undefined,
  ) {}

  async recorded(events: readonly AuditEvent[], timestampMs: number, db: Db): Promise<void> {
    // Events no webhook can be for (a description update, say) read nothing: not even the subscriptions.
    const registry = events.filter((e) => webhookEventsOf(e, false).length > 0 || webhookEventsOf(e, true).length > 0);
    if (registry.length === 0) return;
    const subscribed = await this.repo.subscribedEvents(db);
    if (subscribed.size === 0) return;
    const prompts = new Map<bigint, boolean>();
    const out: Array<OutboxEvent & { body: string }> = [];
    for (const e of registry) {
      // Whether the model is a prompt is read only when it decides something a webhook wants.
      const wanted = (isPrompt: boolean) => webhookEventsOf(e, isPrompt).some((o) => subscribed.has(o.event));
      if (!wanted(false) && !wanted(true)) continue;
      let isPrompt = false;
      if (e.modelId !== undefined) {
        if (!prompts.has(e.modelId)) prompts.set(e.modelId, await this.isPrompt(e.modelId, db));
        isPrompt = prompts.get(e.modelId)!;
      }
      for (const o of webhookEventsOf(e, isPrompt)) if (subscribed.has(o.event)) out.push({ ...o, body: bodyOf(o, timestampMs) });
    }
    if (out.length === 0) return;
    await this.repo.enqueue(out, timestampMs, db);
    this.onEnqueued();
  }
}
