import { randomUUID } from 'node:crypto';
import { invalidParameter, notFound, RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Finder, Found } from '../../http/route-table';
import type { Clock } from '../../lib/clock';
import { decodePageToken, pageOf } from '../../lib/page-token';
import type { PermissionsService } from '../permissions/permissions.service';
import { examplePayload, type WebhookEventName } from './webhook-events';
import { SendError, type WebhookSender } from './webhook-http';
import { bodyOf } from './webhook-outbox';
import { DELIVERY_ID_HEADER, type SecretBox, SIGNATURE_HEADER, signPayload, TIMESTAMP_HEADER } from './webhook-signer';
import { type AddressPolicy, checkWebhookUrl } from './ssrf-guard';
import type { WebhookRecord } from './webhooks.mapper';
import type { DeliveryRow, WebhookRow, WebhooksRepository } from './webhooks.repository';
import type { CreateWebhookInput, UpdateWebhookInput } from './webhooks.schemas';

/** MLflow's webhook name rule (mlflow/utils/validation.py). */
const NAME = /^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;

function validateName(name: string): void {
  if (!NAME.test(name)) {
    throw invalidParameter(
      `Webhook name '${name.slice(0, 100)}' is invalid. It must start and end with a letter or digit, be less than 63 characters long, and contain only letters, digits, dots (.), underscores (_), and hyphens (-).`,
    );
  }
}

/** A glob on model names (`*` any run, `?` one character) as a LIKE pattern. */
export function globToLike(glob: string): string {
  return glob
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

const webhookNotFound = (id: string) => notFound(`Webhook with ID ${id} not found.`);

export interface WebhooksServiceOptions {
  repo: WebhooksRepository;
  secrets: SecretBox;
  sender: WebhookSender;
  policy: AddressPolicy;
  permissions: PermissionsService;
  clock: Clock;
  findModel(name: string): Promise<{ id: bigint; name: string } | null>;
  modelNames(ids: bigint[]): Promise<Map<bigint, string>>;
}

/**
 * Webhooks on MLflow 3's API (README "Webhooks"): create, list, get, update, delete, test, plus the
 * delivery log and redelivery. A webhook scoped to one registered model is managed with MANAGE on
 * it; a registry-wide or name-pattern webhook by administrators (the route rows' finders say so).
 */
export class WebhooksService {
  constructor(private readonly o: WebhooksServiceOptions) {}

  /** webhooks.create's finder: the model named by model_name, else administrators only. */
  readonly scopeOfNew: Finder<CreateWebhookInput> = {
    via: 'model_name (a model-scoped webhook); without it (registry-wide or name_pattern) administrators only',
    find: async (input) => {
      if (input.model_name === undefined) {
        return {
          id: '',
          what: 'the registry',
          adminOnly: true,
          denial: 'Permission denied: a registry-wide or name_pattern webhook needs an admin token; give model_name to scope it to a model you MANAGE.',
        };
      }
      const model = await this.o.findModel(input.model_name);
      if (!model) throw notFound(`Registered Model with name=${input.model_name} not found`);
      return { id: String(model.id), what: `'${model.name}'`, loaded: model };
    },
  };

  /** The finder of rows on one webhook: its model if model-scoped, else administrators only. */
  readonly byId: Finder<{ webhook_id: string }> = {
    via: 'webhook_id: the model the webhook is scoped to; registry-wide and name_pattern webhooks administrators only',
    find: async (input): Promise<Found> => {
      const row = await this.o.repo.find(input.webhook_id);
      if (!row) throw webhookNotFound(input.webhook_id);
      if (row.modelId === null)
        return { id: '', what: `webhook ${row.id}`, adminOnly: true, denial: `Permission denied: webhook ${row.id} is not scoped to one model; it needs an admin token.`, loaded: row };
      return { id: String(row.modelId), what: `webhook ${row.id}`, loaded: row };
    },
  };

  async create(p: Principal, input: CreateWebhookInput, model?: { id: bigint; name: string }): Promise<WebhookRecord> {
    validateName(input.name);
    checkWebhookUrl(input.url, this.o.policy);
    if (input.model_name !== undefined && input.name_pattern !== undefined) throw invalidParameter('Give model_name or name_pattern, not both.');
    if (input.name_pattern !== undefined && input.name_pattern.trim() === '') throw invalidParameter('name_pattern must not be empty.');
    const now = BigInt(this.o.clock.nowMs());
    const row = await this.o.repo.insert({
      id: randomUUID(),
      name: input.name,
      description: input.description || null,
      url: input.url,
      events: [...new Set(input.events)],
      status: input.status ?? 'ACTIVE',
      secretEncrypted: input.secret ? this.o.secrets.seal(input.secret) : null,
      modelId: model?.id ?? null,
      namePattern: input.name_pattern ?? null,
      nameLike: input.name_pattern !== undefined ? globToLike(input.name_pattern) : null,
      createdBy: p.subject,
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
    });
    return { row, ...(model ? { modelName: model.name } : {}) };
  }

  /** Administrators see every webhook; others the webhooks scoped to models they MANAGE. */
  async list(p: Principal, maxResults: number, pageToken: string | undefined): Promise<{ items: WebhookRecord[]; nextPageToken?: string }> {
    const offset = decodePageToken(pageToken);
    const scope = await this.o.permissions.visibleScope(p, 'registered_model', 'MANAGE');
    const filter = p.isAdmin ? undefined : scope.kind === 'all' ? { kind: 'any-model' as const } : { kind: scope.kind, ids: scope.ids.map((i) => BigInt(i)) };
    const rows = await this.o.repo.list(offset, maxResults + 1, filter);
    const page = pageOf(rows, offset, maxResults);
    return { ...page, items: await this.records(page.items) };
  }

  async get(row: WebhookRow): Promise<WebhookRecord> {
    return (await this.records([row]))[0]!;
  }

  /** MLflow's update: fields left out (or empty) stay as they are; the scope cannot change. */
  async update(row: WebhookRow, input: UpdateWebhookInput): Promise<WebhookRecord> {
    if (input.name) validateName(input.name);
    if (input.url) checkWebhookUrl(input.url, this.o.policy);
    const updated = await this.o.repo.update(row.id, {
      ...(input.name ? { name: input.name } : {}),
      ...(input.description ? { description: input.description } : {}),
      ...(input.url ? { url: input.url } : {}),
      ...(input.events && input.events.length > 0 ? { events: [...new Set(input.events)] } : {}),
      ...(input.secret ? { secretEncrypted: this.o.secrets.seal(input.secret) } : {}),
      ...(input.status ? { status: input.status } : {}),
      lastUpdatedTimestamp: BigInt(this.o.clock.nowMs()),
    });
    return this.get(updated);
  }

  async delete(row: WebhookRow): Promise<void> {
    await this.o.repo.delete(row.id);
  }

  /**
   * The delivery log's retention (WEBHOOK_LOG_RETENTION), run by garbage collection: finished
   * deliveries created before `cutoffMs` go, with their attempts and the events left without a
   * delivery, in batches; a dry run counts them.
   */
  async pruneLog(cutoffMs: number, dryRun: boolean, batch = 1000): Promise<{ deliveries: number; events: number }> {
    if (dryRun) return this.o.repo.countPrunable(cutoffMs);
    const total = { deliveries: 0, events: 0 };
    for (;;) {
      const n = await this.o.repo.pruneLog(cutoffMs, batch);
      total.deliveries += n.deliveries;
      total.events += n.events;
      if (n.deliveries < batch) return total;
    }
  }

  /**
   * MLflow's test_webhook: sends an example payload of `event` (default: the webhook's first event)
   * at once, signed like a delivery, through the same address checks; not recorded in the log.
   */
  async test(row: WebhookRow, event: WebhookEventName | undefined): Promise<{ success: boolean; responseStatus?: number; responseBody?: string; errorMessage?: string }> {
    const chosen = event ?? (row.events[0] as WebhookEventName);
    const nowMs = this.o.clock.nowMs();
    const body = bodyOf({ event: chosen, data: examplePayload(chosen) }, nowMs);
    const id = randomUUID();
    const timestamp = String(Math.floor(nowMs / 1000));
    const headers: Record<string, string> = { 'Content-Type': 'application/json', [DELIVERY_ID_HEADER]: id, [TIMESTAMP_HEADER]: timestamp };
    if (row.secretEncrypted) headers[SIGNATURE_HEADER] = signPayload(this.o.secrets.open(row.secretEncrypted), id, timestamp, body);
    try {
      const res = await this.o.sender.post(row.url, body, headers);
      return { success: res.status < 400, responseStatus: res.status, responseBody: res.excerpt };
    } catch (err) {
      return { success: false, errorMessage: `Failed to test webhook: ${err instanceof SendError ? err.message : String(err)}` };
    }
  }

  async deliveries(row: WebhookRow, maxResults: number, pageToken: string | undefined): Promise<{ items: DeliveryRow[]; nextPageToken?: string }> {
    const offset = decodePageToken(pageToken);
    return pageOf(await this.o.repo.listDeliveries(row.id, offset, maxResults + 1), offset, maxResults);
  }

  /** Queues a delivery again, same delivery id, behind the webhook's pending ones. */
  async redeliver(row: WebhookRow, deliveryId: string): Promise<DeliveryRow> {
    const found = await this.o.repo.findDelivery(row.id, deliveryId);
    if (!found) throw notFound(`Delivery ${deliveryId} of webhook ${row.id} not found.`);
    if (!(await this.o.repo.redeliver(row.id, deliveryId, this.o.clock.nowMs()))) {
      throw new RegistryError('RESOURCE_CONFLICT', `Delivery ${deliveryId} is being attempted right now; retry once the attempt has ended.`);
    }
    return (await this.o.repo.findDelivery(row.id, deliveryId))!;
  }

  private async records(rows: WebhookRow[]): Promise<WebhookRecord[]> {
    const ids = [...new Set(rows.flatMap((r) => (r.modelId !== null ? [r.modelId] : [])))];
    const names = ids.length > 0 ? await this.o.modelNames(ids) : new Map<bigint, string>();
    return rows.map((row) => {
      const modelName = row.modelId !== null ? names.get(row.modelId) : undefined;
      return { row, ...(modelName !== undefined ? { modelName } : {}) };
    });
  }
}
