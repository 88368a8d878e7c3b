import { z } from 'zod';
import { int64, list, text } from '../../http/wire';
import { ALL_EVENTS, isWebhookEvent, type WebhookEventName } from './webhook-events';

/** Webhook request messages, named after MLflow 3's protos (webhooks.proto), plus this registry's scope fields. */

/** The proto enum numbers MLflow clients may send instead of names (WebhookEntity, WebhookAction, WebhookStatus). */
const ENTITY_NUMBERS = ['', 'registered_model', 'model_version', 'model_version_tag', 'model_version_alias', 'prompt', 'prompt_version', 'prompt_tag', 'prompt_version_tag', 'prompt_alias'];
const ACTION_NUMBERS = ['', 'created', 'updated', 'deleted', 'set'];
const STATUS_NUMBERS = ['', 'ACTIVE', 'DISABLED'];

const enumText = (numbers: string[]) => z.union([z.string().min(1), z.number().int()]).transform((v) => (typeof v === 'number' ? (numbers[v] ?? String(v)) : v.toLowerCase()));

/** A WebhookEvent {entity, action}, by enum name (REGISTERED_MODEL, CREATED) or number, as `entity.action`. */
export const WebhookEventInput = z.object({ entity: enumText(ENTITY_NUMBERS), action: enumText(ACTION_NUMBERS) }).transform((e, ctx): WebhookEventName => {
  const name = `${e.entity}.${e.action}`;
  if (!isWebhookEvent(name)) {
    const valid = ALL_EVENTS.filter((x) => x.startsWith(`${e.entity}.`)).map((x) => x.split('.')[1]);
    ctx.addIssue({
      code: 'custom',
      message: valid.length > 0 ? `Invalid action '${e.action}' for entity '${e.entity}'. Valid actions are: [${valid.map((a) => `'${a}'`).join(', ')}]` : `Invalid entity '${e.entity}'`,
    });
    return z.NEVER;
  }
  return name;
});

export const WebhookStatusInput = z.union([z.string(), z.number().int()]).transform((v, ctx) => {
  const s = typeof v === 'number' ? STATUS_NUMBERS[v] : v.toUpperCase();
  if (s !== 'ACTIVE' && s !== 'DISABLED') {
    ctx.addIssue({ code: 'custom', message: `Invalid webhook status '${String(v)}'; one of ACTIVE, DISABLED` });
    return z.NEVER;
  }
  return s;
});

const events = list(WebhookEventInput, 100);
const url = text(2048);
const secret = text(1024);

export const CreateWebhook = z.object({
  name: z.string({ error: "Missing value for required parameter 'name'." }),
  description: text(1000).optional(),
  url: z.string({ error: "Missing value for required parameter 'url'." }).pipe(url),
  events: events.refine((e) => e.length > 0, 'Webhook events must be a non-empty list'),
  secret: secret.optional(),
  status: WebhookStatusInput.optional(),
  /** Beyond MLflow: scope to one registered model (MANAGE on it), or a glob on model names (admins). */
  model_name: text(256).optional(),
  name_pattern: text(256).optional(),
});
export type CreateWebhookInput = z.output<typeof CreateWebhook>;

export const WebhookId = z.object({ webhook_id: z.string().min(1).max(64) });

export const ListWebhooks = z.object({
  max_results: int64().pipe(z.number().min(1, 'max_results must be between 1 and 1000.').max(1000, 'max_results must be between 1 and 1000.')).default(100),
  page_token: z.string().optional(),
});

export const UpdateWebhook = z.object({
  webhook_id: z.string().min(1).max(64),
  name: z.string().optional(),
  description: text(1000).optional(),
  url: url.optional(),
  events: events.optional(),
  secret: secret.optional(),
  status: WebhookStatusInput.optional(),
});
export type UpdateWebhookInput = z.output<typeof UpdateWebhook>;

export const TestWebhook = z.object({ webhook_id: z.string().min(1).max(64), event: WebhookEventInput.optional() });

export const ListDeliveries = z.object({
  webhook_id: z.string().min(1).max(64),
  max_results: int64().pipe(z.number().min(1).max(1000)).default(100),
  page_token: z.string().optional(),
});

export const Redeliver = z.object({ webhook_id: z.string().min(1).max(64), delivery_id: z.string().min(1).max(64) });
