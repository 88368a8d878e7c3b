import { Prisma, type PrismaClient } from '@prisma/client';
import type { RawDb } from '../../db/sql';

export interface AuditEventInput {
  timestamp: number;
  actor: string;
  action: string;
  resourceType: 'registered_model' | 'experiment';
  modelId?: bigint;
  modelName?: string;
  version?: number;
  experimentId?: bigint;
  before?: unknown;
  after?: unknown;
}

export interface AuditEventRecord {
  id: bigint;
  timestamp: bigint;
  actor: string;
  action: string;
  modelName: string | null;
  version: number | null;
  experimentId: bigint | null;
  before: unknown;
  after: unknown;
}

/** Where events are written: the Prisma client, or the change's own transaction (Prisma's or SqlExecutor's). */
export type Db = RawDb;

export class AuditRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The client, for a listener of events recorded outside a transaction. */
  get db(): Db {
    return this.prisma;
  }

  /**
   * One raw statement for any number of events (every registry write records some): the events as
   * one JSON document, read back by json_to_recordset. A missing before/after is SQL NULL.
   */
  async insert(events: AuditEventInput[], db: Db = this.prisma): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => ({
      timestamp: e.timestamp,
      actor: e.actor,
      action: e.action,
      resource_type: e.resourceType,
      model_id: e.modelId?.toString() ?? null,
      model_name: e.modelName ?? null,
      version: e.version ?? null,
      experiment_id: e.experimentId?.toString() ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
    }));
    await db.$executeRaw`
      INSERT INTO audit_events (timestamp, actor, action, resource_type, model_id, model_name, version, experiment_id, before, after)
      SELECT timestamp, actor, action, resource_type, model_id, model_name, version, experiment_id, before, after
      FROM json_to_recordset(${JSON.stringify(rows)}::json)
        AS e(timestamp bigint, actor text, action text, resource_type text, model_id bigint, model_name text, version int, experiment_id bigint, before jsonb, after jsonb)`;
  }

  /**
   * Newest first. A model's events are found by its id (so renames keep its history) and, for
   * events of deleted models, by the name it had.
   */
  async list(filter: { modelId?: bigint; modelIds?: bigint[]; modelName?: string; version?: number; experimentId?: bigint }, offset: number, limit: number): Promise<AuditEventRecord[]> {
    const who: Prisma.AuditEventWhereInput[] = [];
    if (filter.modelId !== undefined) who.push({ modelId: filter.modelId });
    if (filter.modelIds !== undefined && filter.modelIds.length > 0) who.push({ modelId: { in: filter.modelIds } });
    if (filter.modelName !== undefined) who.push({ modelName: filter.modelName });
    if (filter.experimentId !== undefined) who.push({ experimentId: filter.experimentId });
    return this.prisma.auditEvent.findMany({
      where: { OR: who, ...(filter.version !== undefined ? { version: filter.version } : {}) },
      orderBy: { id: 'desc' },
      skip: offset,
      take: limit,
    });
  }

  /** Ids of deleted registered models that carried `name` when they were deleted. */
  async deletedModelIds(name: string): Promise<bigint[]> {
    const rows = await this.prisma.auditEvent.findMany({
      where: { modelName: name, action: 'delete_registered_model', modelId: { not: null } },
      select: { modelId: true },
      distinct: ['modelId'],
    });
    return rows.map((r) => r.modelId!);
  }
}
