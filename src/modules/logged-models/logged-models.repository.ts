import type { Prisma, PrismaClient } from '@prisma/client';
import type { SqlExecutor } from '../../db/sql';

/** A logged model as its own tables hold it. */
export interface LoggedModelRow {
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
  metrics: LoggedModelMetric[];
}

/** A logged model with the registry versions registered from it. */
export interface LoggedModelRecord extends LoggedModelRow {
  registrations: Array<{ name: string; version: number }>;
}

/** A metric point logged with the model's id by a run (NaN stored as 0 with isNan). */
export interface LoggedModelMetric {
  key: string;
  value: number;
  isNan: boolean;
  timestamp: number;
  step: number;
  runId: string;
  datasetName: string | null;
  datasetDigest: string | null;
}

const include = { tags: { orderBy: { key: 'asc' as const } }, params: { orderBy: { key: 'asc' as const } } };

/**
 * Data access as src/db/README.md says: the permission lookup every logged-model request makes
 * (experimentIdOf) through `sql`; the rest is cold, through Prisma.
 */
export class LoggedModelsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlExecutor,
  ) {}

  /** Inside tx: locks these logged models FOR KEY SHARE (the GC's FOR UPDATE waits for it) and returns the ids that exist. */
  async lockForKeyShare(ids: readonly string[], tx: Prisma.TransactionClient): Promise<Set<string>> {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM logged_models WHERE id = ANY(${[...ids]}::text[]) FOR KEY SHARE`;
    return new Set(rows.map((r) => r.id));
  }

  /** Models with tags, params and metrics, in the order of `ids`. */
  async findManyByIds(ids: string[]): Promise<LoggedModelRow[]> {
    if (ids.length === 0) return [];
    const [rows, metrics] = await Promise.all([
      this.prisma.loggedModel.findMany({ where: { id: { in: ids }, lifecycleStage: 'active' }, include }),
      this.prisma.$queryRaw<
        Array<{ model_id: string; key: string; value: number; is_nan: boolean; timestamp: bigint; step: bigint; run_id: string; dataset_name: string | null; dataset_digest: string | null }>
      >`
        SELECT model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest FROM logged_model_metrics
        WHERE model_id = ANY(${ids}::text[]) ORDER BY model_id, key, timestamp, step, run_id`,
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    // One pass over the points, however many models the page has and however many points each.
    const pointsOf = new Map<string, LoggedModelMetric[]>();
    for (const m of metrics) {
      let points = pointsOf.get(m.model_id);
      if (!points) pointsOf.set(m.model_id, (points = []));
      points.push({
        key: m.key,
        value: m.value,
        isNan: m.is_nan,
        timestamp: Number(m.timestamp),
        step: Number(m.step),
        runId: m.run_id,
        datasetName: m.dataset_name,
        datasetDigest: m.dataset_digest,
      });
    }
    return ids.flatMap((id) => {
      const r = byId.get(id);
      if (!r) return [];
      const points = pointsOf.get(id) ?? [];
      return [{ ...r, tags: r.tags.map(({ key, value }) => ({ key, value })), params: r.params.map(({ key, value }) => ({ key, value })), metrics: points }];
    });
  }

  /** A live model's experiment, or null if it is absent or deleted. */
  async experimentIdOf(id: string): Promise<bigint | null> {
    const rows = await this.sql.query<{ experiment_id: bigint }>`
      SELECT experiment_id FROM logged_models WHERE id = ${id} AND lifecycle_stage = 'active'`;
    return rows[0]?.experiment_id ?? null;
  }

  async create(
    m: Omit<LoggedModelRow, 'tags' | 'params' | 'metrics' | 'statusMessage' | 'lifecycleStage'>,
    tags: Array<{ key: string; value: string }>,
    params: Array<{ key: string; value: string }>,
  ): Promise<void> {
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
