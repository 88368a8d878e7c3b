import type { AuditEvent } from '../audit/audit.service';

/**
 * The events a webhook may subscribe to, as MLflow 3 names them (mlflow/entities/webhook.py:
 * `entity.action`, lower case; on the wire of the webhook API the proto enum names, REGISTERED_MODEL /
 * CREATED), then the ones this registry adds in the same style (README "Webhooks").
 */
export const MLFLOW_EVENTS = [
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
  'prompt.created',
  'prompt_version.created',
  'prompt_tag.set',
  'prompt_tag.deleted',
  'prompt_version_tag.set',
  'prompt_version_tag.deleted',
  'prompt_alias.created',
  'prompt_alias.deleted',
] as const;

export const REGISTRY_EVENTS = [
  'registered_model.deleted',
  'model_version.deleted',
  'model_version_stage.transitioned',
  'model_version_alias.moved',
  'transition_request.created',
  'transition_request.approved',
  'transition_request.rejected',
  'transition_request.withdrawn',
  'transition_request.closed',
  'alias_request.created',
  'alias_request.approved',
  'alias_request.rejected',
  'alias_request.withdrawn',
  'alias_request.closed',
  'model_version_comment.created',
  'model_version_comment.updated',
  'model_version_comment.deleted',
] as const;

export type WebhookEventName = (typeof MLFLOW_EVENTS)[number] | (typeof REGISTRY_EVENTS)[number];
export const ALL_EVENTS: readonly WebhookEventName[] = [...MLFLOW_EVENTS, ...REGISTRY_EVENTS];
const KNOWN = new Set<string>(ALL_EVENTS);
export const isWebhookEvent = (s: string): s is WebhookEventName => KNOWN.has(s);

/** The proto enum names of the entities and actions (MLflow's, then ours). */
export const ENTITIES = [...new Set(ALL_EVENTS.map((e) => e.split('.')[0]!.toUpperCase()))];
export const ACTIONS = [...new Set(ALL_EVENTS.map((e) => e.split('.')[1]!.toUpperCase()))];

export const splitEvent = (e: string): { entity: string; action: string } => {
  const [entity, action] = e.split('.') as [string, string];
  return { entity, action };
};

/** One outbox event: what happened, to which model, and the `data` MLflow's payload carries. */
export interface OutboxEvent {
  event: WebhookEventName;
  modelId?: bigint;
  modelName?: string;
  data: Record<string, unknown>;
}

/** MLflow's internal prompt tags, left out of prompt payloads as MLflow's handlers do. */
const PROMPT_INTERNAL_TAGS = new Set(['mlflow.prompt.is_prompt', '_mlflow_prompt_type']);
const PROMPT_TEXT_TAG = 'mlflow.prompt.text';

type Tags = Record<string, string>;
const tagsOf = (v: unknown): Tags => {
  if (Array.isArray(v)) return Object.fromEntries((v as Array<{ key: string; value: string }>).map((t) => [t.key, t.value]));
  return (v as Tags | undefined) ?? {};
};
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const REQUEST = /^(create|approve|reject|delete|close)_(transition|alias)_request$/;
const REQUEST_ACTION = { create: 'created', approve: 'approved', reject: 'rejected', delete: 'withdrawn', close: 'closed' } as const;
const COMMENT = /^(create|update|delete)_comment$/;
const COMMENT_ACTION = { create: 'created', update: 'updated', delete: 'deleted' } as const;

/**
 * The webhook events of one audit event (AuditService.record), `isPrompt` saying whether its
 * registered model is a prompt (MLflow sends prompt_* events for those). Audit events no webhook
 * cares about give none.
 */
export function webhookEventsOf(e: AuditEvent, isPrompt: boolean): OutboxEvent[] {
  if (e.resourceType !== 'registered_model' || e.modelName === undefined) return [];
  const name = e.modelName;
  const at = { modelId: e.modelId, modelName: name };
  const version = e.version === undefined ? undefined : String(e.version);
  const payload = obj(e.payload);
  const after = obj(e.after);
  const before = obj(e.before);
  const one = (event: WebhookEventName, data: Record<string, unknown>): OutboxEvent[] => [{ event, ...at, data }];
  switch (e.action) {
    case 'create_registered_model': {
      const tags = tagsOf(payload.tags);
      if (isPrompt) {
        return one('prompt.created', { name, tags: Object.fromEntries(Object.entries(tags).filter(([k]) => !PROMPT_INTERNAL_TAGS.has(k))), description: payload.description ?? null });
      }
      return one('registered_model.created', { name, tags, description: payload.description ?? null });
    }
    case 'create_model_version': {
      const tags = tagsOf(payload.tags);
      if (isPrompt) {
        const { [PROMPT_TEXT_TAG]: template, ...rest } = tags;
        const shown = Object.fromEntries(Object.entries(rest).filter(([k]) => !PROMPT_INTERNAL_TAGS.has(k)));
        return one('prompt_version.created', { name, version, template: template ?? null, tags: shown, description: payload.description ?? null });
      }
      return one('model_version.created', { name, version, source: payload.source ?? after.source, run_id: payload.run_id ?? null, tags, description: payload.description ?? null });
    }
    case 'set_model_version_tag':
      return one(isPrompt ? 'prompt_version_tag.set' : 'model_version_tag.set', { name, version, key: after.key, value: after.value });
    case 'delete_model_version_tag':
      return one(isPrompt ? 'prompt_version_tag.deleted' : 'model_version_tag.deleted', { name, version, key: before.key });
    case 'set_registered_model_tag':
      return isPrompt ? one('prompt_tag.set', { name, key: after.key, value: after.value }) : [];
    case 'delete_registered_model_tag':
      return isPrompt ? one('prompt_tag.deleted', { name, key: before.key }) : [];
    case 'set_alias': {
      const events = one(isPrompt ? 'prompt_alias.created' : 'model_version_alias.created', { name, alias: after.alias, version: after.version });
      if (before.version !== undefined && before.version !== after.version) {
        events.push(...one('model_version_alias.moved', { name, alias: after.alias, version: after.version, previous_version: before.version }));
      }
      return events;
    }
    case 'delete_alias':
      return one(isPrompt ? 'prompt_alias.deleted' : 'model_version_alias.deleted', { name, alias: before.alias });
    case 'transition_stage':
      return one('model_version_stage.transitioned', { name, version, from_stage: before.stage, to_stage: after.stage });
    case 'archive_existing_version':
      return one('model_version_stage.transitioned', { name, version, from_stage: before.stage, to_stage: after.stage, archived_by_version: after.archived_by_version });
    case 'delete_model_version':
      return one('model_version.deleted', { name, version });
    case 'delete_registered_model':
      return one('registered_model.deleted', { name });
  }
  const request = REQUEST.exec(e.action);
  if (request) {
    const kind = request[2] as 'transition' | 'alias';
    const action = REQUEST_ACTION[request[1] as keyof typeof REQUEST_ACTION];
    return one(`${kind}_request.${action}`, { ...before, ...after, ...payload, name, ...(version !== undefined ? { version } : {}) });
  }
  const comment = COMMENT.exec(e.action);
  if (comment) {
    const action = COMMENT_ACTION[comment[1] as keyof typeof COMMENT_ACTION];
    return one(`model_version_comment.${action}`, { ...before, ...after, ...payload, name, ...(version !== undefined ? { version } : {}) });
  }
  return [];
}

/** Example data for test_webhook, per event (MLflow's example payloads for its events). */
export function examplePayload(event: WebhookEventName): Record<string, unknown> {
  const model = event.startsWith('prompt') ? 'example_prompt' : 'example_model';
  const base: Record<string, unknown> = { name: model };
  const { entity, action } = splitEvent(event);
  if (entity.endsWith('_tag')) Object.assign(base, { key: 'example_key', ...(action === 'set' ? { value: 'example_value' } : {}) });
  if (entity.includes('version') || entity.endsWith('_request') || entity.endsWith('_comment')) base.version = '1';
  if (entity === 'prompt_tag') delete base.version;
  if (entity.endsWith('_alias')) Object.assign(base, { alias: 'example_alias', ...(action === 'deleted' ? {} : { version: '1' }) });
  if (entity.endsWith('_alias') && action === 'deleted') delete base.version;
  if (action === 'created' && (entity === 'registered_model' || entity === 'prompt'))
    Object.assign(base, { tags: { example_key: 'example_value' }, description: `An example ${entity.replace('_', ' ')}` });
  if (event === 'model_version.created')
    Object.assign(base, { source: 'models:/123', run_id: 'abcd1234abcd5678', tags: { example_key: 'example_value' }, description: 'An example model version' });
  if (event === 'prompt_version.created') Object.assign(base, { template: 'Hello {{name}}!', tags: { example_key: 'example_value' }, description: 'An example prompt version' });
  if (event === 'model_version_stage.transitioned') Object.assign(base, { from_stage: 'Staging', to_stage: 'Production' });
  if (event === 'model_version_alias.moved') Object.assign(base, { alias: 'example_alias', version: '2', previous_version: '1' });
  return base;
}
