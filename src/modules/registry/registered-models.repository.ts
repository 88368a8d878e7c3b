import { Prisma, type PrismaClient } from '@prisma/client';
import type { RawDb, SqlExecutor } from '../../db/sql';
import { alreadyExists } from '../../errors';
import { IS_PROMPT_TAG } from '../../lib/prompts';
import { FULL_VIEW, latestVersionsSql, type ModelVersionRecord, type VersionView } from './model-versions.repository';
import type { Db, Tag } from './registry-records';

type JsonVersion = Omit<ModelVersionRecord, 'modelId' | 'creationTime' | 'lastUpdatedTime'> & { modelId: number; creationTime: number; lastUpdatedTime: number };

interface DetailsRow {
  tags: Tag[];
  aliases: Array<{ alias: string; version: number }>;
  latest: JsonVersion[];
}

/** ModelDetails of the model whose id is `id`, as three JSON columns (tags, aliases, latest). */
function detailsSql(id: Prisma.Sql, view: VersionView): Prisma.Sql {
  return Prisma.sql`
    COALESCE((SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key)
              FROM registered_model_tags t WHERE t.model_id = ${id}), '[]') AS tags,
    COALESCE((SELECT json_agg(json_build_object('alias', a.alias, 'version', a.version) ORDER BY a.alias)
              FROM registered_model_aliases a WHERE a.model_id = ${id}), '[]') AS aliases,
    COALESCE((SELECT json_agg(x) FROM (${latestVersionsSql(Prisma.sql`v.model_id = ${id}`, undefined, view)}) x), '[]') AS latest`;
}

const toDetails = (id: bigint, r: DetailsRow): ModelDetails => ({
  tags: r.tags,
  aliases: r.aliases.map((a) => ({ modelId: id, ...a })),
  // Through JSON the int64 columns come back as numbers (millisecond times and ids fit in 2^53).
  latest: r.latest.map((v) => ({ ...v, modelId: BigInt(v.modelId), creationTime: BigInt(v.creationTime), lastUpdatedTime: BigInt(v.lastUpdatedTime) })),
});

export interface RegisteredModelRow {
  id: bigint;
  name: string;
  description: string | null;
  userId: string | null;
  creationTime: bigint;
  lastUpdatedTime: bigint;
}

export interface AliasRow {
  modelId: bigint;
  alias: string;
  version: number;
}

export interface ModelDetails {
  tags: Tag[];
  aliases: AliasRow[];
  latest: ModelVersionRecord[];
}

/**
 * A column a caller adds to a read of one model (the caller's grants on it, from the permissions
 * module), given the SQL of the model's id; the repository passes its value through as `extra`
 * without knowing what it is.
 */
export type ExtraColumn = (id: Prisma.Sql) => Prisma.Sql;

const withExtra = (extra: ExtraColumn | undefined, id: Prisma.Sql) => (extra ? Prisma.sql`, ${extra(id)} AS extra` : Prisma.empty);

const ROW = { id: true, name: true, description: true, userId: true, creationTime: true, lastUpdatedTime: true } as const;
/** RegisteredModelRow's columns, from registered_models (checked by test/integration/sql-columns.test.ts). */
export const ROW_SQL = Prisma.sql`id, name, description, user_id AS "userId", creation_time AS "creationTime", last_updated_time AS "lastUpdatedTime"`;
/** AliasRow's columns, from registered_model_aliases. */
export const ALIAS_SQL = Prisma.sql`model_id AS "modelId", alias, version`;

// 50 concurrent transitions of one model queue on its row lock; they must wait, not fail.
const TX_OPTIONS = { maxWait: 60_000, timeout: 60_000 } as const;

const isUniqueViolation = (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
const taken = (name: string) => alreadyExists(`Registered Model (name=${name}) already exists.`);

/**
 * Registered models, their tags and aliases. Knows nothing about permissions. Data access as
 * src/db/README.md says: reads outside a transaction (every registry request starts with one)
 * through `sql`; writes, and reads inside a registry transaction (`lockByName`), in the caller's
 * transaction: Prisma's (`transaction`), or SqlExecutor's (`rawTransaction`) for the methods that
 * take a `RawDb` (`lockByName`, `update`, `isPrompt`).
 */
export class RegisteredModelsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlExecutor,
  ) {}

  transaction<T>(fn: (db: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, TX_OPTIONS);
  }

  /** A transaction of raw statements only, on one pooled connection (src/db/README.md rule 4). */
  rawTransaction<T>(fn: (db: RawDb) => Promise<T>): Promise<T> {
    return this.sql.transaction(fn);
  }

  /** Current names by id (the ones that exist). */
  async namesByIds(ids: bigint[]): Promise<Map<bigint, string>> {
    const rows = await this.prisma.registeredModel.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** Whether the model is a prompt (MLflow's tag), read in `db` (a change's transaction). */
  async isPrompt(modelId: bigint, db: RawDb): Promise<boolean> {
    const rows = await db.$queryRaw<Array<{ prompt: boolean }>>`
      SELECT EXISTS (SELECT 1 FROM registered_model_tags WHERE model_id = ${modelId} AND key = ${IS_PROMPT_TAG} AND lower(value) = 'true') AS prompt`;
    return rows[0]?.prompt === true;
  }

  /** With `extra`: that column too, computed for the model's row (its SQL given the row's id), as `extra`. */
  async findByName<E = never>(name: string, extra?: ExtraColumn): Promise<(RegisteredModelRow & { extra?: E }) | null> {
    const rows = await this.sql.query<RegisteredModelRow & { extra?: E }>`
      SELECT ${ROW_SQL}${withExtra(extra, Prisma.raw('registered_models.id'))} FROM registered_models WHERE name = ${name}`;
    return rows[0] ?? null;
  }

  /** Locks the model row for the rest of the transaction: registry writes of one model queue here. */
  async lockByName(name: string, db: RawDb): Promise<RegisteredModelRow | null> {
    const rows = await db.$queryRaw<RegisteredModelRow[]>`SELECT ${ROW_SQL} FROM registered_models WHERE name = ${name} FOR UPDATE`;
    return rows[0] ?? null;
  }

  async findByIds(ids: bigint[]): Promise<RegisteredModelRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.query<RegisteredModelRow>`SELECT ${ROW_SQL} FROM registered_models WHERE id = ANY(${ids}::bigint[])`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async insert(m: { name: string; description?: string; userId: string; nowMs: number; tags: Tag[] }, db: Db): Promise<RegisteredModelRow> {
    try {
      return await db.registeredModel.create({
        data: {
          name: m.name,
          description: m.description ?? null,
          userId: m.userId,
          creationTime: BigInt(m.nowMs),
          lastUpdatedTime: BigInt(m.nowMs),
          tags: { createMany: { data: m.tags } },
        },
        select: ROW,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw taken(m.name);
      throw err;
    }
  }

  async rename(id: bigint, newName: string, nowMs: number, db: Db): Promise<RegisteredModelRow> {
    try {
      return await db.registeredModel.update({
        where: { id },
        data: { name: newName, lastUpdatedTime: BigInt(nowMs) },
        select: ROW,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw taken(newName);
      throw err;
    }
  }

  /** Sets the description and last_updated_time; a raw statement, as this write runs on every description update. */
  async update(id: bigint, data: { description: string | null; nowMs: number }, db: RawDb): Promise<RegisteredModelRow> {
    const rows = await db.$queryRaw<RegisteredModelRow[]>`
      UPDATE registered_models SET description = ${data.description}, last_updated_time = ${BigInt(data.nowMs)}
      WHERE id = ${id} RETURNING ${ROW_SQL}`;
    if (!rows[0]) throw new Error(`registered model ${id} vanished while locked`);
    return rows[0];
  }

  /** Hard delete; versions, tags and aliases cascade in the database. */
  async delete(id: bigint, db: Db): Promise<void> {
    await db.registeredModel.delete({ where: { id } });
  }

  /**
   * The next version number: atomic under concurrency and never reused, as in MLflow's SQL store. The
   * update locks the model row for the rest of the transaction, so the model cannot be deleted
   * until the version is written; null if the model is gone (deleted since it was looked up: the
   * update waits for the deleting transaction, then finds no row).
   */
  async allocateVersion(id: bigint, nowMs: number, db: Prisma.TransactionClient): Promise<number | null> {
    const rows = await db.$queryRaw<Array<{ last_version: number }>>`
      UPDATE registered_models SET last_version = last_version + 1, last_updated_time = ${BigInt(nowMs)}
      WHERE id = ${id} RETURNING last_version`;
    return rows[0]?.last_version ?? null;
  }

  async setTag(id: bigint, tag: Tag, db: Db = this.prisma): Promise<void> {
    await db.registeredModelTag.upsert({
      where: { modelId_key: { modelId: id, key: tag.key } },
      create: { modelId: id, ...tag },
      update: { value: tag.value },
    });
  }

  async deleteTag(id: bigint, key: string, db: Db = this.prisma): Promise<void> {
    await db.registeredModelTag.deleteMany({ where: { modelId: id, key } });
  }

  /**
   * What a registered model answer holds beside its row, for several models in one query: tags (by
   * key), aliases (by alias), and per stage the latest live version the view shows (unordered).
   */
  async details(ids: bigint[], view: VersionView): Promise<Map<bigint, ModelDetails>> {
    const rows =
      ids.length === 0
        ? []
        : await this.sql.query<DetailsRow & { id: bigint }>`
      SELECT q.id, ${detailsSql(Prisma.raw('q.id'), view)} FROM unnest(${ids}::bigint[]) AS q(id)`;
    return new Map(rows.map((r) => [r.id, toDetails(r.id, r)]));
  }

  /** The model and its details as everyone but a USE caller sees them, in one query; `extra` as findByName's. */
  async findByNameWithDetails<E = never>(name: string, extra?: ExtraColumn): Promise<{ row: RegisteredModelRow; details: ModelDetails; extra?: E } | null> {
    const [r] = await this.sql.query<RegisteredModelRow & DetailsRow & { extra?: E }>`
      SELECT ${ROW_SQL}, ${detailsSql(Prisma.raw('r.id'), FULL_VIEW)}${withExtra(extra, Prisma.raw('r.id'))} FROM registered_models r WHERE r.name = ${name}`;
    if (!r) return null;
    const { tags, aliases, latest, extra: value, ...row } = r;
    return { row, details: toDetails(row.id, { tags, aliases, latest }), ...(extra ? { extra: value } : {}) };
  }

  /** Read in `tx` when one is given. */
  async findAlias(modelId: bigint, alias: string, tx?: Db): Promise<AliasRow | null> {
    if (tx) return tx.registeredModelAlias.findUnique({ where: { modelId_alias: { modelId, alias } } });
    const rows = await this.sql.query<AliasRow>`
      SELECT ${ALIAS_SQL} FROM registered_model_aliases WHERE model_id = ${modelId} AND alias = ${alias}`;
    return rows[0] ?? null;
  }

  async upsertAlias(a: AliasRow, db: Db): Promise<void> {
    await db.registeredModelAlias.upsert({
      where: { modelId_alias: { modelId: a.modelId, alias: a.alias } },
      create: a,
      update: { version: a.version },
    });
  }

  async deleteAlias(modelId: bigint, alias: string, db: Db): Promise<void> {
    await db.registeredModelAlias.deleteMany({ where: { modelId, alias } });
  }

  /** Removes every alias of one version; returns their names. */
  async deleteAliasesOfVersion(modelId: bigint, version: number, db: Db): Promise<string[]> {
    const rows = await db.registeredModelAlias.findMany({ where: { modelId, version }, orderBy: { alias: 'asc' } });
    await db.registeredModelAlias.deleteMany({ where: { modelId, version } });
    return rows.map((r) => r.alias);
  }

  async touch(id: bigint, nowMs: number, db: Db): Promise<void> {
    await db.registeredModel.update({ where: { id }, data: { lastUpdatedTime: BigInt(nowMs) } });
  }
}
