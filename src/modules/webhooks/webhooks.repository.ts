import { Prisma, type PrismaClient } from '@prisma/client';
import type { Db } from '../audit/audit.repository';
import { splitEvent, type OutboxEvent } from './webhook-events';

/**
 * Webhooks, the outbox and the delivery log. Everything here is Prisma (src/db/README.md rule 2):
 * the outbox insert runs in the caller's transaction (the change's), the claim is one
 * `UPDATE … FOR UPDATE SKIP LOCKED` statement, the rest are cold reads and writes.
 */
export type WebhookRow = Prisma.WebhookGetPayload<object>;
export type DeliveryRow = Prisma.WebhookDeliveryGetPayload<{ include: { event: true; attemptLog: true } }>;

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** A delivery a worker claimed: what to send where, and its claim. */
export interface ClaimedDelivery {
  id: string;
  attempt: number;
  createdAt: number;
  webhookId: string;
  url: string;
  secretEncrypted: string | null;
  body: string;
  claimToken: string;
}

export interface AttemptOutcome {
  status: DeliveryStatus;
  nextAttemptAt: number;
  deliveredAt?: number;
  error?: string;
  attempt: { attempt: number; timestamp: number; latencyMs: number; responseStatus?: number; responseExcerpt?: string; errorMessage?: string };
}

export interface WebhookScope {
  modelId?: bigint;
  namePattern?: string;
  nameLike?: string;
}

export class WebhooksRepository {
  constructor(private readonly prisma: PrismaClient) {}

  insert(data: Prisma.WebhookUncheckedCreateInput): Promise<WebhookRow> {
    return this.prisma.webhook.create({ data });
  }

  find(id: string): Promise<WebhookRow | null> {
    return this.prisma.webhook.findUnique({ where: { id } });
  }

  /**
   * Newest first. `models` (a non-admin's view) limits the answer to model-scoped webhooks: of any
   * model, of `only` these, or of all `except` these.
   */
  list(offset: number, limit: number, models?: { kind: 'any-model' } | { kind: 'only' | 'except'; ids: bigint[] }): Promise<WebhookRow[]> {
    const where: Prisma.WebhookWhereInput =
      models === undefined
        ? {}
        : models.kind === 'any-model'
          ? { modelId: { not: null } }
          : models.kind === 'only'
            ? { modelId: { in: models.ids } }
            : { AND: [{ modelId: { not: null } }, { modelId: { notIn: models.ids } }] };
    return this.prisma.webhook.findMany({
      where,
      orderBy: [{ creationTimestamp: 'desc' }, { id: 'asc' }],
      skip: offset,
      take: limit,
    });
  }

  update(id: string, data: Prisma.WebhookUncheckedUpdateInput): Promise<WebhookRow> {
    return this.prisma.webhook.update({ where: { id }, data });
  }

  /** The webhook with its deliveries and attempts, and the events no other webhook's delivery refers to. */
  async delete(id: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`
        WITH gone AS (DELETE FROM webhook_deliveries WHERE webhook_id = ${id} RETURNING delivery_id, event_id)
        DELETE FROM webhook_events e
        WHERE e.id IN (SELECT event_id FROM gone)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.delivery_id NOT IN (SELECT delivery_id FROM gone))`;
      await tx.webhook.deleteMany({ where: { id } });
    });
  }

  /**
   * The delivery log's retention: up to `limit` finished deliveries (DELIVERED or FAILED) created
   * before `cutoffMs` go with their attempts, and then the events no delivery refers to any more
   * (a PENDING delivery always stays, whatever its age). Rows another pruner holds are skipped.
   */
  async pruneLog(cutoffMs: number, limit: number): Promise<{ deliveries: number; events: number }> {
    const rows = await this.prisma.$queryRaw<Array<{ deliveries: bigint; events: bigint }>>`
      WITH gone AS (
        DELETE FROM webhook_deliveries WHERE delivery_id IN (
          SELECT delivery_id FROM webhook_deliveries
          WHERE created_at < ${BigInt(cutoffMs)} AND status <> 'PENDING'
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING delivery_id, event_id
      ), events AS (
        DELETE FROM webhook_events e
        WHERE e.id IN (SELECT event_id FROM gone)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.delivery_id NOT IN (SELECT delivery_id FROM gone))
        RETURNING e.id
      )
      SELECT (SELECT count(*) FROM gone) AS deliveries, (SELECT count(*) FROM events) AS events`;
    return { deliveries: Number(rows[0]!.deliveries), events: Number(rows[0]!.events) };
  }

  /** What pruneLog would remove, counted without a limit. */
  async countPrunable(cutoffMs: number): Promise<{ deliveries: number; events: number }> {
    const cutoff = BigInt(cutoffMs);
    const rows = await this.prisma.$queryRaw<Array<{ deliveries: bigint; events: bigint }>>`
      WITH old AS (SELECT delivery_id, event_id FROM webhook_deliveries WHERE created_at < ${cutoff} AND status <> 'PENDING')
      SELECT (SELECT count(*) FROM old) AS deliveries,
             (SELECT count(DISTINCT o.event_id) FROM old o
              WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = o.event_id AND NOT (d.created_at < ${cutoff} AND d.status <> 'PENDING'))) AS events`;
    return { deliveries: Number(rows[0]!.deliveries), events: Number(rows[0]!.events) };
  }

  /** The events some active webhook subscribes to (usually none: then a change writes nothing more). */
  async subscribedEvents(db: Db): Promise<Set<string>> {
    const rows = await db.$queryRaw<Array<{ event: string }>>`SELECT DISTINCT unnest(events) AS event FROM webhooks WHERE status = 'ACTIVE'`;
    return new Set(rows.map((r) => r.event));
  }

  /**
   * The outbox write, in the change's transaction `db`: per event, one event row and one PENDING
   * delivery per active webhook that subscribes to it and whose scope takes the model (nothing at
   * all when none does).
   */
  async enqueue(events: Array<OutboxEvent & { body: string }>, nowMs: number, db: Db): Promise<void> {
    for (const e of events) {
      const { entity, action } = splitEvent(e.event);
      const modelId = e.modelId ?? null;
      const name = e.modelName ?? null;
      await db.$executeRaw`
        WITH targets AS (
          SELECT webhook_id FROM webhooks
          WHERE status = 'ACTIVE' AND ${e.event}::text = ANY(events)
            AND ((model_id IS NULL AND name_like IS NULL) OR model_id = ${modelId}::bigint OR (name_like IS NOT NULL AND ${name}::text LIKE name_like))
        ), ev AS (
          INSERT INTO webhook_events ("timestamp", entity, action, model_id, model_name, body)
          SELECT ${BigInt(nowMs)}::bigint, ${entity}, ${action}, ${modelId}::bigint, ${name}::text, ${e.body} WHERE EXISTS (SELECT 1 FROM targets)
          RETURNING id
        )
        INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_id, status, attempts, created_at, next_attempt_at)
        SELECT gen_random_uuid()::text, t.webhook_id, ev.id, 'PENDING', 0, ${BigInt(nowMs)}::bigint, ${BigInt(nowMs)}::bigint FROM targets t CROSS JOIN ev`;
    }
  }

  /**
   * Claims up to `limit` deliveries that are due, in seq order, each the oldest PENDING one of its
   * webhook (a webhook's next event waits for the previous one), skipping rows another worker is
   * claiming; a claim is a lease that lapses after `leaseMs` (a worker that died mid-delivery).
   */
  async claim(nowMs: number, leaseMs: number, token: string, limit: number): Promise<ClaimedDelivery[]> {
    const now = BigInt(nowMs);
    const rows = await this.prisma.$queryRaw<Array<{ delivery_id: string; attempts: number; created_at: bigint; webhook_id: string }>>`
      UPDATE webhook_deliveries d
      SET lease_until = ${now + BigInt(leaseMs)}, claim_token = ${token}, attempts = d.attempts + 1, last_attempt_at = ${now}
      WHERE d.delivery_id IN (
        SELECT c.delivery_id FROM webhook_deliveries c
        JOIN webhooks w ON w.webhook_id = c.webhook_id AND w.status = 'ACTIVE'
        WHERE c.status = 'PENDING' AND c.next_attempt_at <= ${now} AND (c.lease_until IS NULL OR c.lease_until < ${now})
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = c.webhook_id AND e.status = 'PENDING' AND e.seq < c.seq)
        ORDER BY c.seq
        LIMIT ${limit}
        FOR UPDATE OF c SKIP LOCKED)
      RETURNING d.delivery_id, d.attempts, d.created_at, d.webhook_id`;
    if (rows.length === 0) return [];
    const details = await this.prisma.webhookDelivery.findMany({
      where: { id: { in: rows.map((r) => r.delivery_id) } },
      select: { id: true, webhook: { select: { url: true, secretEncrypted: true } }, event: { select: { body: true } } },
    });
    const byId = new Map(details.map((d) => [d.id, d]));
    return rows.flatMap((r) => {
      const d = byId.get(r.delivery_id);
      if (!d) return [];
      return [
        {
          id: r.delivery_id,
          attempt: r.attempts,
          createdAt: Number(r.created_at),
          webhookId: r.webhook_id,
          url: d.webhook.url,
          secretEncrypted: d.webhook.secretEncrypted,
          body: d.event.body,
          claimToken: token,
        },
      ];
    });
  }

  /** Records an attempt and its outcome, if the claim still holds (false: the lease lapsed or the webhook is gone). */
  async finish(d: ClaimedDelivery, outcome: AttemptOutcome): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.webhookDelivery.updateMany({
        where: { id: d.id, claimToken: d.claimToken },
        data: {
          status: outcome.status,
          nextAttemptAt: BigInt(outcome.nextAttemptAt),
          leaseUntil: null,
          claimToken: null,
          deliveredAt: outcome.deliveredAt === undefined ? undefined : BigInt(outcome.deliveredAt),
          lastError: outcome.error ?? null,
        },
      });
      if (count === 0) return false;
      const a = outcome.attempt;
      await tx.webhookDeliveryAttempt.create({
        data: {
          deliveryId: d.id,
          attempt: a.attempt,
          timestamp: BigInt(a.timestamp),
          latencyMs: a.latencyMs,
          responseStatus: a.responseStatus ?? null,
          responseExcerpt: a.responseExcerpt ?? null,
          errorMessage: a.errorMessage ?? null,
        },
      });
      return true;
    });
  }

  /** A webhook's deliveries, newest first, with their attempts. */
  listDeliveries(webhookId: string, offset: number, limit: number): Promise<DeliveryRow[]> {
    return this.prisma.webhookDelivery.findMany({
      where: { webhookId },
      include: { event: true, attemptLog: { orderBy: { attempt: 'asc' } } },
      orderBy: { seq: 'desc' },
      skip: offset,
      take: limit,
    });
  }

  findDelivery(webhookId: string, id: string): Promise<DeliveryRow | null> {
    return this.prisma.webhookDelivery.findFirst({ where: { id, webhookId }, include: { event: true, attemptLog: { orderBy: { attempt: 'asc' } } } });
  }

  /**
   * Queues a delivery again under the same delivery id, behind the webhook's other pending ones (a
   * new seq) and with a fresh retry horizon; a delivery being attempted right now is left alone.
   */
  async redeliver(webhookId: string, id: string, nowMs: number): Promise<boolean> {
    const now = BigInt(nowMs);
    const n = await this.prisma.$executeRaw`
      UPDATE webhook_deliveries
      SET status = 'PENDING', seq = nextval(pg_get_serial_sequence('webhook_deliveries', 'seq')), created_at = ${now}, next_attempt_at = ${now},
          lease_until = NULL, claim_token = NULL, last_error = NULL, delivered_at = NULL
      WHERE delivery_id = ${id} AND webhook_id = ${webhookId} AND NOT (status = 'PENDING' AND lease_until IS NOT NULL AND lease_until >= ${now})`;
    return n > 0;
  }
}
