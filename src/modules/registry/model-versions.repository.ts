import { Prisma, type PrismaClient } from '@prisma/client';
import type { SqlExecutor } from '../../db/sql';
import type { Db, Tag } from './registry-records';
import { DELETED_STAGE, type Stage } from './stages';

export interface ModelVersionRow {
  modelId: bigint;
  version: number;
  source: string;
  storageLocation: string | null;
  runId: string | null;
  runLink: string | null;
  loggedModelId: string | null;
  status: string;
  statusMessage: string | null;
  currentStage: string;
  description: string | null;
  userId: string | null;
  creationTime: bigint;
  lastUpdatedTime: bigint;
}

/** A live (not deleted) version with its model's current name, tags and aliases. */
export interface ModelVersionRecord extends Omit<ModelVersionRow, 'currentStage'> {
  name: string;
  currentStage: Stage;
  tags: Tag[];
  aliases: string[];
}

/** A model version that names a logged model (its model_id). */
export interface LoggedModelRegistration {
  loggedModelId: string;
  name: string;
  version: number;
}

export interface VersionKey {
  modelId: bigint;
  version: number;
}

/**
 * Which versions a caller may see. For models where the caller holds exactly USE, only versions
 * in Production or behind a protected alias (README "Permissions"); applied in the SQL.
 */
export interface VersionView {
  restrictedModelIds: readonly bigint[];
  protectedAliases: readonly string[];
}

export const FULL_VIEW: VersionView = { restrictedModelIds: [], protectedAliases: [] };

export function visibleVersionsSql(view: VersionView, v = Prisma.raw('v')): Prisma.Sql {
  if (view.restrictedModelIds.length === 0) return Prisma.sql`TRUE`;
  const behindProtectedAlias =
    view.protectedAliases.length === 0
      ? Prisma.sql`FALSE`
      : Prisma.sql`EXISTS (SELECT 1 FROM registered_model_aliases a
          WHERE a.model_id = ${v}.model_id AND a.version = ${v}.version
            AND lower(a.alias) = ANY(${[...view.protectedAliases]}::text[]))`;
  return Prisma.sql`(NOT ${v}.model_id = ANY(${view.restrictedModelIds.map(String)}::bigint[])
    OR ${v}.current_stage = 'Production' OR ${behindProtectedAlias})`;
}

const LIVE = { not: DELETED_STAGE };

/** A ModelVersionRow's columns, from model_versions `v` (checked by test/integration/sql-columns.test.ts). */
export const ROW_COLUMNS = Prisma.sql`
  v.model_id AS "modelId", v.version, v.source, v.storage_location AS "storageLocation", v.run_id AS "runId",
  v.run_link AS "runLink", v.logged_model_id AS "loggedModelId", v.status, v.status_message AS "statusMessage",
  v.current_stage AS "currentStage", v.description, v.user_id AS "userId", v.creation_time AS "creationTime",
  v.last_updated_time AS "lastUpdatedTime"`;

/** A ModelVersionRecord's columns, from model_versions `v` joined to registered_models `m`. */
export const RECORD_COLUMNS = Prisma.sql`
  ${ROW_COLUMNS}, m.name,
  COALESCE((SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key) FROM model_version_tags t
            WHERE t.model_id = v.model_id AND t.version = v.version), '[]') AS tags,
  COALESCE((SELECT json_agg(a.alias ORDER BY a.alias) FROM registered_model_aliases a
            WHERE a.model_id = v.model_id AND a.version = v.version), '[]') AS aliases`;

/**
 * Per model and stage, the full record (RECORD_COLUMNS) of the highest live version the view shows
 * (MLflow's latest_versions), for the models `whichModels` selects over `v`; unordered.
 */
export function latestVersionsSql(whichModels: Prisma.Sql, stages: readonly Stage[] | undefined, view: VersionView): Prisma.Sql {
  const stageFilter = stages ? Prisma.sql`AND v.current_stage = ANY(${[...stages]}::text[])` : Prisma.empty;
  return Prisma.sql`
    SELECT ${RECORD_COLUMNS}
    FROM (SELECT DISTINCT ON (v.model_id, v.current_stage) v.*
          FROM model_versions v
          WHERE ${whichModels} AND v.current_stage <> ${DELETED_STAGE} ${stageFilter} AND ${visibleVersionsSql(view)}
          ORDER BY v.model_id, v.current_stage, v.version DESC) v
    JOIN registered_models m ON m.id = v.model_id`;
}

/**
 * Model versions and their tags. Knows nothing about permissions. Data access as src/db/README.md
 * says: reads outside a transaction (every version request starts with them) through `sql`;
 * writes, and reads inside a registry transaction, through Prisma (`db`).
 */
export class ModelVersionsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlExecutor,
  ) {}

  async insert(row: ModelVersionRow, tags: Tag[], db: Db): Promise<void> {
    await db.modelVersion.create({ data: { ...row, tags: { createMany: { data: tags } } } });
  }

  /** The live version row, or null if absent or deleted; read in `tx` when one is given. */
  async findRow(key: VersionKey, tx?: Db): Promise<ModelVersionRow | null> {
    if (tx) return tx.modelVersion.findFirst({ where: { ...key, currentStage: LIVE } });
    const rows = await this.sql.query<ModelVersionRow>`
      SELECT ${ROW_COLUMNS} FROM model_versions v
      WHERE v.model_id = ${key.modelId} AND v.version = ${key.version} AND v.current_stage <> ${DELETED_STAGE}`;
    return rows[0] ?? null;
  }

  /** Full records in the order of `keys`; deleted or missing versions are skipped. One query. */
  async load(keys: VersionKey[]): Promise<ModelVersionRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.sql.query<ModelVersionRecord>`
      SELECT ${RECORD_COLUMNS}
      FROM unnest(${keys.map((k) => k.modelId)}::bigint[], ${keys.map((k) => k.version)}::int[]) AS k(model_id, version)
      JOIN model_versions v ON v.model_id = k.model_id AND v.version = k.version
      JOIN registered_models m ON m.id = v.model_id
      WHERE v.current_stage <> ${DELETED_STAGE}`;
    const id = (k: VersionKey) => `${k.modelId}:${k.version}`;
    const byKey = new Map(rows.map((r) => [id(r), r]));
    return keys.flatMap((k) => byKey.get(id(k)) ?? []);
  }

  /** latestVersionsSql for these models, in one query; `stages` undefined means all four. Unordered. */
  async latest(modelIds: bigint[], stages: readonly Stage[] | undefined, view: VersionView): Promise<ModelVersionRecord[]> {
    if (modelIds.length === 0) return [];
    return this.sql.query<ModelVersionRecord>(latestVersionsSql(Prisma.sql`v.model_id = ANY(${modelIds}::bigint[])`, stages, view));
  }

  /** The highest live version number of a model the view shows, across all stages. */
  async latestVersion(modelId: bigint, view: VersionView): Promise<number | null> {
    const rows = await this.sql.query<{ version: number }>`
      SELECT v.version FROM model_versions v
      WHERE v.model_id = ${modelId} AND v.current_stage <> ${DELETED_STAGE} AND ${visibleVersionsSql(view)}
      ORDER BY v.version DESC LIMIT 1`;
    return rows[0]?.version ?? null;
  }

  /** The items whose version is live and shown by the view, in their order. */
  async filterVisible<T extends VersionKey>(items: T[], view: VersionView): Promise<T[]> {
    if (items.length === 0) return items;
    const modelIds = [...new Set(items.map((i) => i.modelId))];
    const rows = await this.sql.query<VersionKey>`
      SELECT v.model_id AS "modelId", v.version FROM model_versions v
      WHERE v.model_id = ANY(${modelIds}::bigint[]) AND v.version = ANY(${[...new Set(items.map((i) => i.version))]}::int[])
        AND v.current_stage <> ${DELETED_STAGE} AND ${visibleVersionsSql(view)}`;
    const shown = new Set(rows.map((r) => `${r.modelId}:${r.version}`));
    return items.filter((i) => shown.has(`${i.modelId}:${i.version}`));
  }

  async update(key: VersionKey, data: { description?: string | null; nowMs: number }, db: Db): Promise<void> {
    await db.modelVersion.update({
      where: { modelId_version: key },
      data: {
        ...(data.description !== undefined ? { description: data.description } : {}),
        lastUpdatedTime: BigInt(data.nowMs),
      },
    });
  }

  async setStage(key: VersionKey, stage: Stage, nowMs: number, db: Db): Promise<void> {
    await db.modelVersion.update({
      where: { modelId_version: key },
      data: { currentStage: stage, lastUpdatedTime: BigInt(nowMs) },
    });
  }

  /** Moves every other live version in `stage` to Archived; returns the versions moved. */
  async archiveOthers(key: VersionKey, stage: Stage, nowMs: number, db: Db): Promise<number[]> {
    const rows = await db.$queryRaw<Array<{ version: number }>>`
      UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ${BigInt(nowMs)}
      WHERE model_id = ${key.modelId} AND current_stage = ${stage} AND version <> ${key.version}
      RETURNING version`;
    return rows.map((r) => r.version).sort((a, b) => a - b);
  }

  /**
   * MLflow's soft delete (its SQL store's delete_model_version): the number stays taken, everything that pointed
   * somewhere is redacted, tags go; the row is invisible to every read afterwards.
   */
  async softDelete(key: VersionKey, nowMs: number, db: Db): Promise<void> {
    await db.modelVersionTag.deleteMany({ where: key });
    await db.modelVersion.update({
      where: { modelId_version: key },
      data: {
        currentStage: DELETED_STAGE,
        lastUpdatedTime: BigInt(nowMs),
        source: 'REDACTED-SOURCE-PATH',
        storageLocation: null,
        runId: null,
        runLink: null,
        loggedModelId: null,
        description: null,
        userId: null,
        statusMessage: null,
      },
    });
  }

  async setTag(key: VersionKey, tag: Tag, db: Db = this.prisma): Promise<void> {
    await db.modelVersionTag.upsert({
      where: { modelId_version_key: { ...key, key: tag.key } },
      create: { ...key, ...tag },
      update: { value: tag.value },
    });
  }

  async deleteTag(key: VersionKey, tagKey: string, db: Db = this.prisma): Promise<void> {
    await db.modelVersionTag.deleteMany({ where: { ...key, key: tagKey } });
  }

  /** The live versions registered from these MLflow 3 logged models, by model name, then version. */
  async registrationsOfLoggedModels(loggedModelIds: string[]): Promise<LoggedModelRegistration[]> {
    if (loggedModelIds.length === 0) return [];
    const rows = await this.prisma.$queryRaw<Array<{ logged_model_id: string; name: string; version: number }>>`
      SELECT v.logged_model_id, rm.name, v.version FROM model_versions v JOIN registered_models rm ON rm.id = v.model_id
      WHERE v.logged_model_id = ANY(${loggedModelIds}::text[]) AND v.current_stage <> ${DELETED_STAGE} ORDER BY rm.name, v.version`;
    return rows.map((r) => ({ loggedModelId: r.logged_model_id, name: r.name, version: Number(r.version) }));
  }
}
