import { Prisma, type PrismaClient } from '@prisma/client';
import { isUniqueViolation } from '../../db/prisma-errors';
import type { SqlExecutor } from '../../db/sql';
import { alreadyExists } from '../../errors';

export interface ExperimentRecord {
  id: bigint;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  creationTime: bigint;
  lastUpdateTime: bigint;
}

export interface ExperimentWithTags extends ExperimentRecord {
  tags: Array<{ key: string; value: string }>;
}

const duplicateName = (name: string) => alreadyExists(`Experiment(name=${name}) already exists.`);

/** An experiments row as EXPERIMENT_COLUMNS selects it (checked by test/integration/sql-columns.test.ts). */
export interface ExperimentRow {
  id: bigint;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: bigint;
  last_update_time: bigint;
}

export const EXPERIMENT_COLUMNS = Prisma.sql`id, name, artifact_location, lifecycle_stage, creation_time, last_update_time`;

const toRecord = (r: ExperimentRow): ExperimentRecord => ({
  id: r.id,
  name: r.name,
  artifactLocation: r.artifact_location,
  lifecycleStage: r.lifecycle_stage,
  creationTime: r.creation_time,
  lastUpdateTime: r.last_update_time,
});

export class ExperimentsRepository {
  /**
   * Data access as src/db/README.md says: `sql` for the lookups (every run and artifact request
   * looks its experiment up, searches load theirs); `prisma` for writes, in `$transaction` when
   * several statements must be atomic.
   */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlExecutor,
  ) {}

  async findById(id: bigint): Promise<ExperimentRecord | null> {
    const rows = await this.sql.query<ExperimentRow>`
      SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE id = ${id}`;
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async findByIdWithTags(id: bigint): Promise<ExperimentWithTags | null> {
    return (await this.withTags(Prisma.sql`e.id = ${id}`))[0] ?? null;
  }

  async findByNameWithTags(name: string): Promise<ExperimentWithTags | null> {
    return (await this.withTags(Prisma.sql`e.name = ${name}`))[0] ?? null;
  }

  /** Loads experiments with their tags, in the order of `ids`. */
  async findManyByIds(ids: bigint[]): Promise<ExperimentWithTags[]> {
    if (ids.length === 0) return [];
    const rows = await this.withTags(Prisma.sql`e.id = ANY(${ids}::bigint[])`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [row] : [];
    });
  }

  private async withTags(where: Prisma.Sql): Promise<ExperimentWithTags[]> {
    const rows = await this.sql.query<ExperimentRow & { tags: ExperimentWithTags['tags'] }>`
      SELECT ${EXPERIMENT_COLUMNS},
        COALESCE((SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key)
                  FROM experiment_tags t WHERE t.experiment_id = e.id), '[]') AS tags
      FROM experiments e WHERE ${where}`;
    return rows.map((r) => ({ ...toRecord(r), tags: r.tags }));
  }

  /** Inserts the experiment and its tags in one transaction; the default location needs the new id. */
  async create(name: string, artifactLocation: string | undefined, tags: Array<{ key: string; value: string }>, nowMs: number): Promise<bigint> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const [row] = await tx.$queryRaw<Array<{ id: bigint }>>`
          WITH next AS (SELECT nextval(pg_get_serial_sequence('experiments', 'id')) AS id)
          INSERT INTO experiments (id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
          SELECT id, ${name}, COALESCE(${artifactLocation ?? null}::text, 'mlflow-artifacts:/' || id), 'active', ${nowMs}::bigint, ${nowMs}::bigint
          FROM next
          RETURNING id`;
        const id = row!.id;
        if (tags.length > 0) {
          await tx.experimentTag.createMany({ data: dedupeTags(tags).map((t) => ({ experimentId: id, ...t })) });
        }
        return id;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(name);
      throw err;
    }
  }

  async rename(id: bigint, newName: string, nowMs: number): Promise<void> {
    try {
      await this.prisma.experiment.update({ where: { id }, data: { name: newName, lastUpdateTime: BigInt(nowMs) } });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(newName);
      throw err;
    }
  }

  /**
   * Soft delete: the experiment and its active runs become deleted. The runs get the same deleted
   * time as the experiment's update time, so restore brings back exactly those runs.
   */
  async softDelete(id: bigint, nowMs: number): Promise<void> {
    const now = BigInt(nowMs);
    await this.prisma.$transaction([
      this.prisma.experiment.update({ where: { id }, data: { lifecycleStage: 'deleted', lastUpdateTime: now } }),
      this.prisma.run.updateMany({
        where: { experimentId: id, lifecycleStage: 'active' },
        data: { lifecycleStage: 'deleted', deletedTime: now },
      }),
    ]);
  }

  async restore(id: bigint, deletedAt: bigint, nowMs: number): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.experiment.update({ where: { id }, data: { lifecycleStage: 'active', lastUpdateTime: BigInt(nowMs) } }),
      this.prisma.run.updateMany({
        where: { experimentId: id, lifecycleStage: 'deleted', deletedTime: deletedAt },
        data: { lifecycleStage: 'active', deletedTime: null },
      }),
    ]);
  }

  async setTag(id: bigint, key: string, value: string): Promise<void> {
    await this.prisma.experimentTag.upsert({
      where: { experimentId_key: { experimentId: id, key } },
      create: { experimentId: id, key, value },
      update: { value },
    });
  }

  /** Returns false when there was no such tag. */
  async deleteTag(id: bigint, key: string): Promise<boolean> {
    const { count } = await this.prisma.experimentTag.deleteMany({ where: { experimentId: id, key } });
    return count > 0;
  }
}

/** Last value wins for a key repeated within one request. */
function dedupeTags(tags: Array<{ key: string; value: string }>): Array<{ key: string; value: string }> {
  return [...new Map(tags.map((t) => [t.key, t])).values()];
}

export type { Prisma };
