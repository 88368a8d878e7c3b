import { Prisma, type PrismaClient } from '@prisma/client';

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

/** A Prisma client or an interactive transaction: events are written in the caller's transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

const json = (v: unknown) => (v === undefined ? Prisma.DbNull : (v as Prisma.InputJsonValue));

export class AuditRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The client, for a listener of events recorded outside a transaction. */
  get db(): Db {
    return this.prisma;
  }

  async insert(events: AuditEventInput[], db: Db = this.prisma): Promise<void> {
    if (events.length === 0) return;
    await db.auditEvent.createMany({
      data: events.map((e) => ({
        timestamp: BigInt(e.timestamp),
        actor: e.actor,
        action: e.action,
        resourceType: e.resourceType,
        modelId: e.modelId ?? null,
        modelName: e.modelName ?? null,
        version: e.version ?? null,
        experimentId: e.experimentId ?? null,
        before: json(e.before),
        after: json(e.after),
      })),
    });
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
