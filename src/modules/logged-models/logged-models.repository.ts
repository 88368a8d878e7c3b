import type { PrismaClient } from '@prisma/client';

export interface LoggedModelRecord {
  id: string;
  experimentId: bigint;
  name: string;
  modelType: string | null;
  sourceRunId: string | null;
  status: string;
  statusMessage: string | null;
  artifactLocation: string;
  lifecycleStage: string;
  creationTime: bigint;
  lastUpdatedTime: bigint;
  tags: Array<{ key: string; value: string }>;
  params: Array<{ key: string; value: string }>;
  registrations: Array<{ name: string; version: number }>;
}

const include = { tags: { orderBy: { key: 'asc' as const } }, params: { orderBy: { key: 'asc' as const } } };

export class LoggedModelsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async findById(id: string): Promise<LoggedModelRecord | null> {
    return (await this.findManyByIds([id]))[0] ?? null;
  }

  /** Models with tags, params and the registry versions that point at them, in the order of `ids`. */
  async findManyByIds(ids: string[]): Promise<LoggedModelRecord[]> {
    if (ids.length === 0) return [];
    const [rows, regs] = await Promise.all([
      this.prisma.loggedModel.findMany({ where: { id: { in: ids }, lifecycleStage: 'active' }, include }),
      this.prisma.$queryRaw<Array<{ logged_model_id: string; name: string; version: number }>>`
        SELECT v.logged_model_id, rm.name, v.version FROM model_versions v JOIN registered_models rm ON rm.id = v.model_id
        WHERE v.logged_model_id = ANY(${ids}::text[]) AND v.current_stage <> 'Deleted_Internal' ORDER BY rm.name, v.version`,
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const r = byId.get(id);
      if (!r) return [];
      const registrations = regs.filter((g) => g.logged_model_id === id).map((g) => ({ name: g.name, version: Number(g.version) }));
      return [{ ...r, tags: r.tags.map(({ key, value }) => ({ key, value })), params: r.params.map(({ key, value }) => ({ key, value })), registrations }];
    });
  }

  async create(m: Omit<LoggedModelRecord, 'tags' | 'params' | 'registrations' | 'statusMessage' | 'lifecycleStage'>, tags: Array<{ key: string; value: string }>, params: Array<{ key: string; value: string }>): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.loggedModel.create({
        data: {
          id: m.id,
          experimentId: m.experimentId,
          name: m.name,
          modelType: m.modelType,
          sourceRunId: m.sourceRunId,
          status: m.status,
          artifactLocation: m.artifactLocation,
          creationTime: m.creationTime,
          lastUpdatedTime: m.lastUpdatedTime,
        },
      }),
      this.prisma.loggedModelTag.createMany({ data: tags.map((t) => ({ modelId: m.id, ...t })) }),
      this.prisma.loggedModelParam.createMany({ data: params.map((t) => ({ modelId: m.id, ...t })) }),
    ]);
  }

  async setStatus(id: string, status: string, nowMs: number): Promise<void> {
    await this.prisma.loggedModel.update({ where: { id }, data: { status, lastUpdatedTime: BigInt(nowMs) } });
  }

  async softDelete(id: string, nowMs: number): Promise<void> {
    await this.prisma.loggedModel.update({ where: { id }, data: { lifecycleStage: 'deleted', lastUpdatedTime: BigInt(nowMs) } });
  }

  async setTags(id: string, tags: Array<{ key: string; value: string }>, nowMs: number): Promise<void> {
    await this.prisma.$transaction([
      ...tags.map((t) =>
        this.prisma.loggedModelTag.upsert({
          where: { modelId_key: { modelId: id, key: t.key } },
          create: { modelId: id, ...t },
          update: { value: t.value },
        }),
      ),
      this.prisma.loggedModel.update({ where: { id }, data: { lastUpdatedTime: BigInt(nowMs) } }),
    ]);
  }

  async deleteTag(id: string, key: string): Promise<boolean> {
    return (await this.prisma.loggedModelTag.deleteMany({ where: { modelId: id, key } })).count > 0;
  }

  /** Params are immutable like run params: a key logged again keeps its first value. */
  async addParams(id: string, params: Array<{ key: string; value: string }>): Promise<void> {
    await this.prisma.loggedModelParam.createMany({ data: params.map((p) => ({ modelId: id, ...p })), skipDuplicates: true });
  }
}
