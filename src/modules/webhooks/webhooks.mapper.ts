import { splitEvent } from './webhook-events';
import type { DeliveryRow, WebhookRow } from './webhooks.repository';

/** A webhook as it is shown; the secret never is. */
export interface WebhookRecord {
  row: WebhookRow;
  /** The name of the model it is scoped to (absent: not model-scoped, or the model is gone). */
  modelName?: string;
}

const eventToWire = (e: string) => {
  const { entity, action } = splitEvent(e);
  return { entity: entity.toUpperCase(), action: action.toUpperCase() };
};

/** MLflow 3's Webhook message (proto JSON: enum names, int64 millisecond timestamps), plus the scope fields. */
export const toApiWebhook = ({ row, modelName }: WebhookRecord) => ({
  webhook_id: row.id,
  name: row.name,
  ...(row.description ? { description: row.description } : {}),
  url: row.url,
  events: row.events.map(eventToWire),
  status: row.status,
  creation_timestamp: Number(row.creationTimestamp),
  last_updated_timestamp: Number(row.lastUpdatedTimestamp),
  ...(row.modelId !== null && modelName !== undefined ? { model_name: modelName } : {}),
  ...(row.namePattern !== null ? { name_pattern: row.namePattern } : {}),
});

export const toApiTestResult = (r: { success: boolean; responseStatus?: number; responseBody?: string; errorMessage?: string }) => ({
  success: r.success,
  ...(r.responseStatus !== undefined ? { response_status: r.responseStatus } : {}),
  ...(r.responseBody !== undefined ? { response_body: r.responseBody } : {}),
  ...(r.errorMessage !== undefined ? { error_message: r.errorMessage } : {}),
});

/** A delivery and its attempts (this registry's delivery log, README "Webhooks"). */
export const toApiDelivery = (d: DeliveryRow) => ({
  delivery_id: d.id,
  webhook_id: d.webhookId,
  event: { entity: d.event.entity.toUpperCase(), action: d.event.action.toUpperCase() },
  event_timestamp: Number(d.event.timestamp),
  status: d.status,
  attempts: d.attempts,
  creation_timestamp: Number(d.createdAt),
  ...(d.lastAttemptAt !== null ? { last_attempt_timestamp: Number(d.lastAttemptAt) } : {}),
  ...(d.status === 'PENDING' ? { next_attempt_timestamp: Number(d.nextAttemptAt) } : {}),
  ...(d.deliveredAt !== null ? { delivered_timestamp: Number(d.deliveredAt) } : {}),
  ...(d.lastError !== null ? { last_error: d.lastError } : {}),
  attempt_log: d.attemptLog.map((a) => ({
    attempt: a.attempt,
    timestamp: Number(a.timestamp),
    latency_ms: a.latencyMs,
    ...(a.responseStatus !== null ? { response_status: a.responseStatus } : {}),
    ...(a.responseExcerpt !== null ? { response_excerpt: a.responseExcerpt } : {}),
    ...(a.errorMessage !== null ? { error_message: a.errorMessage } : {}),
  })),
});
