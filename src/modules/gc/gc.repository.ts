import { Prisma, type PrismaClient } from '@prisma/client';
import type { Pool, PoolClient } from 'pg';
import { DELETED_STAGE } from '../registry/stages';

/**
 * The garbage collector's own queries (gc.service.ts). Everything it selects for removal is soft-deleted
 * already; the batch queries lock the rows they return (FOR UPDATE SKIP LOCKED) so that a restore waits
 * for the batch and then finds nothing, and two collectors never take the same rows.
 */

export type Tx = Prisma.TransactionClient;
type Db = PrismaClient | Tx;

export interface DeletedRun {
  id: string;
  experimentId: bigint;
  artifactUri: string;
  deletedTime: bigint;
}

export interface DeletedLoggedModel {
  id: string;
  experimentId: bigint;
  artifactLocation: string;
  lastUpdatedTime: bigint;
}

export interface DeletedExperiment {
  id: bigint;
  name: string;
  artifactLocation: string;
  lastUpdateTime: bigint;
}

export interface DeletedVersion {
  modelId: bigint;
  modelName: string;
  version: number;
  lastUpdatedTime: bigint;
}

/** Which resources a collection may touch (MLflow's `gc --experiment-ids / --run-ids`). */
export interface GcScope {
  experimentIds?: readonly bigint[];
  runIds?: readonly string[];
}

/** pg_try_advisory_lock key: one collector at a time across every replica ("gc" in ASCII, salted). */
const GC_LOCK_KEY = 0x7265_6763n;

const lock = (forUpdate: boolean, table: string) => (forUpdate ? Prisma.raw(`FOR UPDATE OF ${table} SKIP LOCKED`) : Prisma.empty);

const runsWhere = (cutoff: bigint, scope: GcScope) => Prisma.sql`r.lifecycle_stage = 'deleted' AND r.deleted_time < ${cutoff}
  ${scope.experimentIds ? Prisma.sql`AND r.experiment_id = ANY(${scope.experimentIds}::bigint[])` : Prisma.empty}
  ${scope.runIds ? Prisma.sql`AND r.id = ANY(${scope.runIds}::text[])` : Prisma.empty}`;
const modelsWhere = (cutoff: bigint, scope: GcScope) => Prisma.sql`m.lifecycle_stage = 'deleted' AND m.last_updated_time < ${cutoff}
  ${scope.experimentIds ? Prisma.sql`AND m.experiment_id = ANY(${scope.experimentIds}::bigint[])` : Prisma.empty}`;
const experimentsWhere = (cutoff: bigint, scope: GcScope) => Prisma.sql`e.lifecycle_stage = 'deleted' AND e.last_update_time < ${cutoff}
  AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.lifecycle_stage = 'active')
  ${scope.experimentIds ? Prisma.sql`AND e.id = ANY(${scope.experimentIds}::bigint[])` : Prisma.empty}`;
const versionsWhere = (cutoff: bigint) => Prisma.sql`v.current_stage = ${DELETED_STAGE} AND v.last_updated_time < ${cutoff}`;

export interface CandidateCounts {
  runs: number;
  loggedModels: number;
  experiments: number;
  modelVersions: number;
}

export class GcRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: Pool,
  ) {}

  /**
   * Holds PostgreSQL's session advisory lock on a connection of its own for as long as `work` runs;
   * undefined (and `work` not run) when another collector holds it.
   */
  async withCollectorLock<T>(work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const client: PoolClient = await this.pool.connect();
    let locked = false;
    try {
      const res = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [GC_LOCK_KEY.toString()]);
      locked = res.rows[0]?.locked === true;
      if (!locked) return { ran: false };
      return { ran: true, value: await work() };
    } finally {
      if (locked) await client.query('SELECT pg_advisory_unlock($1::bigint)', [GC_LOCK_KEY.toString()]).catch(() => undefined);
      client.release();
    }
  }

  /** One transaction per batch, without the API's statement timeout (a batch may remove many rows). */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SET LOCAL statement_timeout = 0`;
        return work(tx);
      },
      { maxWait: 30_000, timeout: 30 * 60_000 },
    );
  }

  /** How many of each a collection would take (the progress bar's totals); versions only without a scope. */
  async countCandidates(cutoff: bigint, scope: GcScope, withVersions: boolean): Promise<CandidateCounts> {
    const [row] = await this.prisma.$queryRaw<Array<{ runs: bigint; models: bigint; experiments: bigint; versions: bigint }>>`
      SELECT (SELECT count(*) FROM runs r WHERE ${runsWhere(cutoff, scope)}) AS runs,
             (SELECT count(*) FROM logged_models m WHERE ${modelsWhere(cutoff, scope)}) AS models,
             (SELECT count(*) FROM experiments e WHERE ${experimentsWhere(cutoff, scope)}) AS experiments,
             ${withVersions ? Prisma.sql`(SELECT count(*) FROM model_versions v WHERE ${versionsWhere(cutoff)})` : Prisma.sql`0::bigint`} AS versions`;
    return { runs: Number(row!.runs), loggedModels: Number(row!.models), experiments: Number(row!.experiments), modelVersions: Number(row!.versions) };
  }

  // ---------------------------------------------------------------------------------------------
  // Candidates: soft-deleted before `cutoff`, oldest first; `cursor` pages a dry run (nothing is removed).

  async deletedRuns(cutoff: bigint, scope: GcScope, limit: number, db: Db = this.prisma, forUpdate = false, cursor?: { time: bigint; id: string }): Promise<DeletedRun[]> {
    const rows = await db.$queryRaw<Array<{ id: string; experiment_id: bigint; artifact_uri: string; deleted_time: bigint }>>`
      SELECT r.id, r.experiment_id, r.artifact_uri, r.deleted_time FROM runs r
      WHERE ${runsWhere(cutoff, scope)}
        ${cursor !== undefined ? Prisma.sql`AND (r.deleted_time, r.id) > (${cursor.time}, ${cursor.id})` : Prisma.empty}
      ORDER BY r.deleted_time, r.id LIMIT ${limit} ${lock(forUpdate, 'r')}`;
    return rows.map((r) => ({ id: r.id, experimentId: r.experiment_id, artifactUri: r.artifact_uri, deletedTime: r.deleted_time }));
  }

  async deletedLoggedModels(cutoff: bigint, scope: GcScope, limit: number, db: Db = this.prisma, forUpdate = false, cursor?: { time: bigint; id: string }): Promise<DeletedLoggedModel[]> {
    const rows = await db.$queryRaw<Array<{ id: string; experiment_id: bigint; artifact_location: string; last_updated_time: bigint }>>`
      SELECT m.id, m.experiment_id, m.artifact_location, m.last_updated_time FROM logged_models m
      WHERE ${modelsWhere(cutoff, scope)}
        ${cursor !== undefined ? Prisma.sql`AND (m.last_updated_time, m.id) > (${cursor.time}, ${cursor.id})` : Prisma.empty}
      ORDER BY m.last_updated_time, m.id LIMIT ${limit} ${lock(forUpdate, 'm')}`;
    return rows.map((r) => ({ id: r.id, experimentId: r.experiment_id, artifactLocation: r.artifact_location, lastUpdatedTime: r.last_updated_time }));
  }

  /**
   * Deleted experiments (deleted at last_update_time: experiments have no deleted_time) without active runs
   * (a run restored inside a deleted experiment keeps it); their logged models go with them.
   */
  async deletedExperiments(cutoff: bigint, scope: GcScope, limit: number, db: Db = this.prisma, forUpdate = false, cursor?: bigint): Promise<DeletedExperiment[]> {
    const rows = await db.$queryRaw<Array<{ id: bigint; name: string; artifact_location: string; last_update_time: bigint }>>`
      SELECT e.id, e.name, e.artifact_location, e.last_update_time FROM experiments e
      WHERE ${experimentsWhere(cutoff, scope)}
        ${cursor !== undefined ? Prisma.sql`AND e.id > ${cursor}` : Prisma.empty}
      ORDER BY e.id LIMIT ${limit} ${lock(forUpdate, 'e')}`;
    return rows.map((r) => ({ id: r.id, name: r.name, artifactLocation: r.artifact_location, lastUpdateTime: r.last_update_time }));
  }

  /** Runs (all deleted: deletedExperiments() saw to that) and logged models still inside an experiment. */
  async contentsOfExperiment(id: bigint, db: Db = this.prisma): Promise<{ runs: Array<{ id: string; artifactUri: string }>; models: Array<{ id: string; artifactLocation: string }> }> {
    const runs = await db.$queryRaw<Array<{ id: string; artifact_uri: string }>>`SELECT id, artifact_uri FROM runs WHERE experiment_id = ${id} ORDER BY id`;
    const models = await db.$queryRaw<Array<{ id: string; artifact_location: string }>>`SELECT id, artifact_location FROM logged_models WHERE experiment_id = ${id} ORDER BY id`;
    return { runs: runs.map((r) => ({ id: r.id, artifactUri: r.artifact_uri })), models: models.map((m) => ({ id: m.id, artifactLocation: m.artifact_location })) };
  }

  async deletedVersions(cutoff: bigint, limit: number, db: Db = this.prisma, forUpdate = false, cursor?: { modelId: bigint; version: number }): Promise<DeletedVersion[]> {
    const rows = await db.$queryRaw<Array<{ model_id: bigint; name: string; version: number; last_updated_time: bigint }>>`
      SELECT v.model_id, rm.name, v.version, v.last_updated_time FROM model_versions v JOIN registered_models rm ON rm.id = v.model_id
      WHERE ${versionsWhere(cutoff)}
        ${cursor !== undefined ? Prisma.sql`AND (v.model_id, v.version) > (${cursor.modelId}, ${cursor.version})` : Prisma.empty}
      ORDER BY v.model_id, v.version LIMIT ${limit} ${lock(forUpdate, 'v')}`;
    return rows.map((r) => ({ modelId: r.model_id, modelName: r.name, version: r.version, lastUpdatedTime: r.last_updated_time }));
  }

  /** Where every live model version's files are (storage_location, else source): what is never removed. */
  async liveVersionLocations(db: Db = this.prisma): Promise<string[]> {
    const rows = await db.$queryRaw<Array<{ location: string }>>`
      SELECT COALESCE(storage_location, source) AS location FROM model_versions
      WHERE current_stage <> ${DELETED_STAGE} AND COALESCE(storage_location, source) LIKE 'mlflow-artifacts:%'`;
    return rows.map((r) => r.location);
  }

  /**
   * Experiments whose artifact location is not the default `mlflow-artifacts:/<id>` but another place in
   * this store (create-experiment accepts any): their runs' files may sit under another experiment's or
   * the registry's prefix, so nothing under them is collected with someone else.
   */
  async customExperimentLocations(db: Db = this.prisma): Promise<Array<{ id: bigint; location: string }>> {
    const rows = await db.$queryRaw<Array<{ id: bigint; artifact_location: string }>>`
      SELECT id, artifact_location FROM experiments
      WHERE artifact_location LIKE 'mlflow-artifacts:%' AND artifact_location <> 'mlflow-artifacts:/' || id::text`;
    return rows.map((r) => ({ id: r.id, location: r.artifact_location }));
  }

  // ---------------------------------------------------------------------------------------------
  // Removal, in the batch's transaction.

  /** Params, tags, metrics, latest metrics, inputs and outputs go with the runs (ON DELETE CASCADE). */
  async deleteRuns(ids: string[], tx: Tx): Promise<void> {
    if (ids.length > 0) await tx.$executeRaw`DELETE FROM runs WHERE id = ANY(${ids}::text[])`;
  }

  /** Tags, params and metrics cascade; the runs' input/output links to them go too (no foreign key there). */
  async deleteLoggedModels(ids: string[], tx: Tx): Promise<void> {
    if (ids.length === 0) return;
    await tx.$executeRaw`DELETE FROM run_model_inputs WHERE model_id = ANY(${ids}::text[])`;
    await tx.$executeRaw`DELETE FROM run_model_outputs WHERE model_id = ANY(${ids}::text[])`;
    await tx.$executeRaw`DELETE FROM logged_models WHERE id = ANY(${ids}::text[])`;
  }

  /** The experiment, its tags, runs (and theirs), logged models, datasets and grants. */
  async deleteExperiment(id: bigint, tx: Tx): Promise<void> {
    const models = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM logged_models WHERE experiment_id = ${id}`;
    await this.deleteLoggedModels(
      models.map((m) => m.id),
      tx,
    );
    await tx.$executeRaw`DELETE FROM datasets WHERE experiment_id = ${id}`;
    await tx.$executeRaw`DELETE FROM permission_grants WHERE resource_type = 'experiment' AND resource_id = ${String(id)}`;
    await tx.$executeRaw`DELETE FROM experiments WHERE id = ${id}`;
  }

  /** The version numbers stay taken: registered_models.last_version allocates them. */
  async deleteVersions(keys: Array<{ modelId: bigint; version: number }>, tx: Tx): Promise<void> {
    for (const k of keys) await tx.$executeRaw`DELETE FROM model_versions WHERE model_id = ${k.modelId} AND version = ${k.version} AND current_stage = ${DELETED_STAGE}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Orphans: which of these owners still have a row.

  async existingRuns(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`SELECT id FROM runs WHERE id = ANY(${ids}::text[])`;
    return new Set(rows.map((r) => r.id));
  }

  async existingLoggedModels(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`SELECT id FROM logged_models WHERE id = ANY(${ids}::text[])`;
    return new Set(rows.map((r) => r.id));
  }

  async existingExperiments(ids: bigint[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.prisma.$queryRaw<Array<{ id: bigint }>>`SELECT id FROM experiments WHERE id = ANY(${ids}::bigint[])`;
    return new Set(rows.map((r) => String(r.id)));
  }

  async existingRegisteredModels(ids: bigint[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.prisma.$queryRaw<Array<{ id: bigint }>>`SELECT id FROM registered_models WHERE id = ANY(${ids}::bigint[])`;
    return new Set(rows.map((r) => String(r.id)));
  }
}
