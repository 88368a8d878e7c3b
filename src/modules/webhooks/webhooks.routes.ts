import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { pageBody } from '../../http/wire';
import { toApiDelivery, toApiTestResult, toApiWebhook } from './webhooks.mapper';
import type { WebhookRow } from './webhooks.repository';
import { CreateWebhook, ListDeliveries, ListWebhooks, Redeliver, TestWebhook, UpdateWebhook, WebhookId } from './webhooks.schemas';

const MANAGE_NOTE = 'MANAGE on the model the webhook is scoped to; registry-wide and name_pattern webhooks need an admin token';

/** Webhooks on MLflow 3's API (webhooks.proto), plus the delivery log (README "Webhooks"). */
export function webhooksRoutes(c: Container): AnyRoute[] {
  const w = c.webhooks;
  const rowOf = (loaded: unknown) => loaded as WebhookRow;
  return [
    route({
      key: 'webhooks.create',
      area: 'mlflow',
      method: 'POST',
      path: '/webhooks',
      schema: CreateWebhook,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: w.scopeOfNew, refine: 'without model_name (registry-wide or name_pattern): admin only' },
      summary: "Creates a webhook (MLflow 3's create_webhook); model_name scopes it to one model, name_pattern to a glob on names.",
      handle: async ({ input, principal, granted }) => ({ webhook: toApiWebhook(await w.create(principal, input, granted?.loaded as { id: bigint; name: string } | undefined)) }),
    }),
    route({
      key: 'webhooks.list',
      area: 'mlflow',
      method: 'GET',
      path: '/webhooks',
      schema: ListWebhooks,
      from: 'query',
      access: { kind: 'each', type: 'registered_model', level: 'MANAGE', note: 'admins see every webhook; others the webhooks scoped to models they MANAGE' },
      summary: 'Lists webhooks, newest first.',
      handle: async ({ input, principal }) => pageBody('webhooks', await w.list(principal, input.max_results, input.page_token), toApiWebhook),
    }),
    route({
      key: 'webhooks.get',
      area: 'mlflow',
      method: 'GET',
      path: '/webhooks/:webhook_id',
      schema: WebhookId,
      from: 'params',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: w.byId, refine: MANAGE_NOTE },
      summary: 'Gets a webhook (never its secret).',
      handle: async ({ granted }) => ({ webhook: toApiWebhook(await w.get(rowOf(granted!.loaded))) }),
    }),
    route({
      key: 'webhooks.update',
      area: 'mlflow',
      method: 'PATCH',
      path: '/webhooks/:webhook_id',
      schema: UpdateWebhook,
      from: 'params+body',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: w.byId, refine: MANAGE_NOTE },
      summary: 'Updates a webhook: name, description, url, events, secret, status.',
      handle: async ({ input, granted }) => ({ webhook: toApiWebhook(await w.update(rowOf(granted!.loaded), input)) }),
    }),
    route({
      key: 'webhooks.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/webhooks/:webhook_id',
      schema: WebhookId,
      from: 'params',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: w.byId, refine: MANAGE_NOTE },
      summary: 'Deletes a webhook and its delivery log; its pending deliveries are dropped.',
      handle: async ({ granted }) => {
        await w.delete(rowOf(granted!.loaded));
        return {};
      },
    }),
    route({
      key: 'webhooks.test',
      area: 'mlflow',
      method: 'POST',
      path: '/webhooks/:webhook_id/test',
      schema: TestWebhook,
      from: 'params+body',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: w.byId, refine: MANAGE_NOTE },
      summary: 'Sends an example payload of one event (default: the first subscribed) and reports the answer.',
      handle: async ({ input, granted }) => ({ result: toApiTestResult(await w.test(rowOf(granted!.loaded), input.event)) }),
    }),
    route({
      key: 'webhooks.deliveries.list',
      area: 'mlflow',
      method: 'GET',
      path: '/webhooks/:webhook_id/deliveries',
      schema: ListDeliveries,
      from: 'params+query',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: w.byId, refine: MANAGE_NOTE },
      summary: "The webhook's delivery log, newest first: status, attempts, latency, response excerpts.",
      handle: async ({ input, granted }) => pageBody('deliveries', await w.deliveries(rowOf(granted!.loaded), input.max_results, input.page_token), toApiDelivery),
    }),
    route({
      key: 'webhooks.deliveries.redeliver',
      area: 'mlflow',
      method: 'POST',
      path: '/webhooks/:webhook_id/deliveries/:delivery_id/redeliver',
      schema: Redeliver,
      from: 'params',
      body: 'json-any-type',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: w.byId, refine: MANAGE_NOTE },
      summary: "Queues a delivery again with the same delivery id (after the webhook's pending ones).",
      handle: async ({ input, granted }) => ({ delivery: toApiDelivery(await w.redeliver(rowOf(granted!.loaded), input.delivery_id)) }),
    }),
  ];
}
