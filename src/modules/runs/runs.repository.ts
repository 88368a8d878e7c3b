import { Prisma, type PrismaClient } from '@prisma/client';
import { DatabaseError } from 'pg';
import type { SqlExecutor } from '../../db/sql';

export interface RunRecord {
  id: string;
  experimentId: bigint;
  name: string;
  userId: string;
  status: string;
  startTime: bigint;
  endTime: bigint | null;
  lifecycleStage: string;
  deletedTime: bigint | null;
  artifactUri: string;
}

export interface StoredMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: boolean;
}

export interface RunWithData extends RunRecord {
  metrics: StoredMetric[];
  params: Array<{ key: string; value: string }>;
  tags: Array<{ key: string; value: string }>;
  datasetInputs: Array<{
    tags: Array<{ key: string; value: string }>;
    dataset: { name: string; digest: string; source_type: string; source: string; schema: string | null; profile: string | null };
  }>;
  modelInputs: Array<{ model_id: string }>;
  modelOutputs: Array<{ model_id: string; step: number }>;
}

export interface MetricRow {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  isNan: boolean;
}

/** A metric point of a logged model (MLflow 3), as logged by a run with the model's id. */
export interface ModelMetricRow extends MetricRow {
  modelId: string;
  datasetName: string | null;
  datasetDigest: string | null;
}

/** A runs row as RUN_COLUMNS selects it (checked by test/integration/sql-columns.test.ts). */
export interface RunRow {
  id: string;
  experiment_id: bigint;
  name: string;
  user_id: string;
  status: string;
  start_time: bigint;
  end_time: bigint | null;
  lifecycle_stage: string;
  deleted_time: bigint | null;
  artifact_uri: string;
}

export const RUN_COLUMNS = Prisma.sql`id, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, deleted_time, artifact_uri`;

/** A metrics row as METRIC_COLUMNS selects it (metric history reads; test/integration/sql-columns.test.ts). */
export interface MetricPointRow {
  key: string;
  value: number;
  timestamp: bigint;
  step: bigint;
  is_nan: boolean;
}

export const METRIC_COLUMNS = Prisma.sql`key, value, timestamp, step, is_nan`;

const toRecord = (r: RunRow): RunRecord => ({
  id: r.id,
  experimentId: r.experiment_id,
  name: r.name,
  userId: r.user_id,
  status: r.status,
  startTime: r.start_time,
  endTime: r.end_time,
  lifecycleStage: r.lifecycle_stage,
  deletedTime: r.deleted_time,
  artifactUri: r.artifact_uri,
});

/** Largest finite double: MLflow stores ±Infinity as ±this (mlflow-api.md §3.4). */
const MAX_DOUBLE = 1.7976931348623157e308;

/** NaN is stored as 0 with is_nan; infinities as ±MAX_DOUBLE, as MLflow's SQL store does. */
export function toStoredValue(v: number): { value: number; isNan: boolean } {
  if (Number.isNaN(v)) return { value: 0, isNan: true };
  if (v === Infinity) return { value: MAX_DOUBLE, isNan: false };
  if (v === -Infinity) return { value: -MAX_DOUBLE, isNan: false };
  return { value: v, isNan: false };
}

/** PostgreSQL's unique_violation on the metric history's primary key: the point is already logged. */
const isDuplicateMetric = (err: unknown): boolean => err instanceof DatabaseError && err.code === '23505' && err.constraint === 'metrics_pkey';

/** The same on the params' primary key: another statement logged one of the batch's params since this one's snapshot. */
const isParamLoggedMeanwhile = (err: unknown): boolean => err instanceof DatabaseError && err.code === '23505' && err.constraint === 'params_pkey';

interface BatchRows {
  metrics: MetricRow[];
  latest: MetricRow[];
  params: Array<{ key: string; value: string }>;
  tags: Array<{ key: string; value: string }>;
  modelMetrics: ModelMetricRow[];
}

/**
 * The log-batch statement (RunsRepository.logBatch), holding only the parts the batch needs: a
 * log-metric is the run check and two inserts. That makes at most 16 statement texts, each prepared
 * once per connection.
 */
function logBatchStatement(runId: string, batch: BatchRows, skipDuplicates: boolean): Prisma.Sql {
  const { metrics, latest, params, tags, modelMetrics } = batch;
  const keys = (rows: Array<{ key: string }>) => rows.map((r) => r.key);
  const values = (rows: Array<{ value: string }>) => rows.map((r) => r.value);
  // Metric rows go in as one JSON document: JSON.stringify writes each double's shortest exact form,
  // and json_to_recordset reads it back exactly, with no string per value on either side.
  const metricRows = (m: MetricRow[]) => Prisma.sql`json_to_recordset(${JSON.stringify(m)}::json) AS t(key text, value float8, timestamp bigint, step bigint, "isNan" boolean)`;
  const ctes: Prisma.Sql[] = [Prisma.sql`run AS (SELECT lifecycle_stage, experiment_id FROM runs WHERE id = ${runId})`];
  if (params.length > 0) {
    ctes.push(
      Prisma.sql`p_in AS (SELECT * FROM unnest(${keys(params)}::text[], ${values(params)}::text[]) AS t(key, value))`,
      Prisma.sql`p_old AS (
        SELECT i.key, p.value AS old, i.value AS new FROM p_in i LEFT JOIN params p ON p.run_id = ${runId} AND p.key = i.key)`,
      Prisma.sql`p_conflict AS (SELECT key, old, new FROM p_old WHERE old <> new)`,
      Prisma.sql`go AS (SELECT 1 FROM run WHERE lifecycle_stage = 'active' AND NOT EXISTS (SELECT 1 FROM p_conflict))`,
      // A plain insert, of the keys absent from the snapshot: one logged meanwhile by another
      // statement is a unique violation (see logBatch), never skipped. In key order, so that two
      // batches of the same keys wait on each other's rows in the same order and cannot deadlock.
      Prisma.sql`p_ins AS (
        INSERT INTO params (run_id, key, value)
        SELECT ${runId}, key, new FROM p_old WHERE old IS NULL AND EXISTS (SELECT 1 FROM go) ORDER BY key)`,
    );
  } else {
    ctes.push(Prisma.sql`go AS (SELECT 1 FROM run WHERE lifecycle_stage = 'active')`);
  }
  // The writes, upserts first, each in key order like p_ins: two batches of the same keys in
  // different orders then lock their rows in the same order and cannot deadlock. PostgreSQL runs
  // the data-modifying WITH items that the final SELECT does not read after it, the last-listed
  // first (PostgreSQL 15's executor; the manual leaves the order open, and nothing here depends on
  // it for correctness). Listed this way the 1,000-row history insert runs before the upserts take
  // the row locks of latest_metrics and run_tags, which they then hold only until the commit:
  // concurrent batches into one run wait on each other for that short moment instead of for the
  // whole insert (8 clients on one run: 81-84 batches/s with the upserts run first, 125-128 with
  // them last).
  if (tags.length > 0) {
    ctes.push(Prisma.sql`t_ins AS (
      INSERT INTO run_tags (run_id, key, value)
      SELECT ${runId}, key, value FROM unnest(${keys(tags)}::text[], ${values(tags)}::text[]) AS t(key, value)
      WHERE EXISTS (SELECT 1 FROM go) ORDER BY key
      ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value)`);
  }
  if (metrics.length > 0) {
    ctes.push(Prisma.sql`l_ins AS (
        INSERT INTO latest_metrics (run_id, key, value, timestamp, step, is_nan)
        SELECT ${runId}, key, value, timestamp, step, "isNan" FROM ${metricRows(latest)} WHERE EXISTS (SELECT 1 FROM go) ORDER BY key
        ON CONFLICT (run_id, key) DO UPDATE
          SET value = EXCLUDED.value, timestamp = EXCLUDED.timestamp, step = EXCLUDED.step, is_nan = EXCLUDED.is_nan
          WHERE (EXCLUDED.step, EXCLUDED.timestamp, EXCLUDED.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value))`);
  }
  if (modelMetrics.length > 0) {
    // A point logged again is kept once, as in the run's own history (the first value stays).
    ctes.push(Prisma.sql`lm_ins AS (
      INSERT INTO logged_model_metrics (model_id, key, value, is_nan, timestamp, step, run_id, experiment_id, dataset_name, dataset_digest)
      SELECT t."modelId", t.key, t.value, t."isNan", t.timestamp, t.step, ${runId}, run.experiment_id, t."datasetName", t."datasetDigest"
      FROM json_to_recordset(${JSON.stringify(modelMetrics)}::json)
        AS t("modelId" text, key text, value float8, "isNan" boolean, timestamp bigint, step bigint, "datasetName" text, "datasetDigest" text)
      CROSS JOIN run WHERE EXISTS (SELECT 1 FROM go)
      ON CONFLICT DO NOTHING)`);
  }
  if (metrics.length > 0) {
    ctes.push(Prisma.sql`m_ins AS (
        INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan)
        SELECT ${runId}, key, value, timestamp, step, "isNan" FROM ${metricRows(metrics)} WHERE EXISTS (SELECT 1 FROM go)
        ${skipDuplicates ? Prisma.sql`ON CONFLICT DO NOTHING` : Prisma.empty})`);
  }
  const conflicts = params.length > 0 ? Prisma.sql`UNION ALL SELECT 'conflict', key, old, new FROM p_conflict` : Prisma.empty;
  return Prisma.sql`
    WITH ${Prisma.join(ctes, ',\n')}
    SELECT 'run' AS kind, lifecycle_stage AS key, NULL AS old, NULL AS new FROM run ${conflicts}`;
}

export type RunWithDataRow = RunRow & {
  metrics: StoredMetric[] | null;
  params: RunWithData['params'] | null;
  tags: RunWithData['tags'] | null;
  dataset_inputs: RunWithData['datasetInputs'] | null;
  model_inputs: RunWithData['modelInputs'] | null;
  model_outputs: RunWithData['modelOutputs'] | null;
};

/**
 * A row of runsByIdsSql as a record: the run's fields, then its data assigned one by one, always in
 * the same order. Spreading `toRecord(row)` into a bigger literal instead made V8 build each record
 * property by property in its runtime: a search of 25 runs took 7.3 million instructions in the
 * service with the spread and 4.9 million without.
 */
const withData = (r: RunWithDataRow): RunWithData => {
  const run = toRecord(r) as RunWithData;
  run.metrics = r.metrics ?? [];
  run.params = r.params ?? [];
  run.tags = r.tags ?? [];
  run.datasetInputs = r.dataset_inputs ?? [];
  run.modelInputs = r.model_inputs ?? [];
  run.modelOutputs = r.model_outputs ?? [];
  return run;
};

/**
 * The statement behind findManyByIds (exported for the query-plan test). Each table is read once for
 * the whole page, grouped by run, rather than once per run by a correlated subquery: for a page of
 * 25 runs that is 0.9 ms of PostgreSQL's time against 1.5 ms.
 */
export const runsByIdsSql = (ids: string[]): Prisma.Sql => Prisma.sql`
  WITH page AS (SELECT ${ids}::text[] AS ids)
  SELECT r.id, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time, r.lifecycle_stage, r.deleted_time, r.artifact_uri,
    m.agg AS metrics, p.agg AS params, t.agg AS tags, di.agg AS dataset_inputs, mi.agg AS model_inputs, mo.agg AS model_outputs
  FROM runs r
  LEFT JOIN (
    SELECT run_id, json_agg(json_build_object('key', key, 'value', value, 'timestamp', timestamp, 'step', step, 'is_nan', is_nan) ORDER BY key) AS agg
    FROM latest_metrics WHERE run_id = ANY((SELECT ids FROM page)::text[]) GROUP BY run_id) m ON m.run_id = r.id
  LEFT JOIN (
    SELECT run_id, json_agg(json_build_object('key', key, 'value', value) ORDER BY key) AS agg
    FROM params WHERE run_id = ANY((SELECT ids FROM page)::text[]) GROUP BY run_id) p ON p.run_id = r.id
  LEFT JOIN (
    SELECT run_id, json_agg(json_build_object('key', key, 'value', value) ORDER BY key) AS agg
    FROM run_tags WHERE run_id = ANY((SELECT ids FROM page)::text[]) GROUP BY run_id) t ON t.run_id = r.id
  LEFT JOIN (
    SELECT i.run_id, json_agg(json_build_object('tags', i.tags, 'dataset', json_build_object('name', d.name, 'digest', d.digest,
             'source_type', d.source_type, 'source', d.source, 'schema', d.schema, 'profile', d.profile)) ORDER BY d.name, d.digest) AS agg
    FROM run_dataset_inputs i JOIN datasets d ON d.id = i.dataset_id WHERE i.run_id = ANY((SELECT ids FROM page)::text[]) GROUP BY i.run_id) di ON di.run_id = r.id
  LEFT JOIN (
    SELECT run_id, json_agg(json_build_object('model_id', model_id) ORDER BY model_id) AS agg
    FROM run_model_inputs WHERE run_id = ANY((SELECT ids FROM page)::text[]) GROUP BY run_id) mi ON mi.run_id = r.id
  LEFT JOIN (
    SELECT run_id, json_agg(json_build_object('model_id', model_id, 'step', step) ORDER BY model_id) AS agg
    FROM run_model_outputs WHERE run_id = ANY((SELECT ids FROM page)::text[]) GROUP BY run_id) mo ON mo.run_id = r.id
  WHERE r.id = ANY((SELECT ids FROM page)::text[])`;

export class RunsRepository {
  /**
   * Data access as src/db/README.md says: `sql` for the tracking hot paths (run reads, metric
   * reads, and the writes that are one statement each: create, update, log-batch); `prisma` for the
   * cold writes, and `$transaction` where several statements must be atomic (logInputs).
   */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlExecutor,
  ) {}

  /** Inside tx: locks these runs FOR KEY SHARE (the GC's FOR UPDATE waits for it) and returns the ids that exist. */
  async lockForKeyShare(ids: readonly string[], tx: Prisma.TransactionClient): Promise<Set<string>> {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM runs WHERE id = ANY(${[...ids]}::text[]) FOR KEY SHARE`;
    return new Set(rows.map((r) => r.id));
  }

  async findById(runId: string): Promise<RunRecord | null> {
    const rows = await this.sql.query<RunRow>`
      SELECT ${RUN_COLUMNS} FROM runs WHERE id = ${runId}`;
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Full runs (info, latest metrics, params, tags, inputs, outputs) in one query, in the order of `ids`. */
  async findManyByIds(ids: string[]): Promise<RunWithData[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.query<RunWithDataRow>(runsByIdsSql(ids));
    const byId = new Map(rows.map((r) => [r.id, withData(r)]));
    const runs: RunWithData[] = [];
    for (const id of ids) {
      const run = byId.get(id);
      if (run) runs.push(run);
    }
    return runs;
  }

  /** The run and its tags, in one statement, if its experiment is active; false if it is not. */
  async create(run: RunRecord, tags: Array<{ key: string; value: string }>): Promise<boolean> {
    const rows = await this.sql.query<{ id: string }>`
      WITH r AS (
        INSERT INTO runs (id, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
        SELECT ${run.id}, e.id, ${run.name}, ${run.userId}, ${run.status}, ${run.startTime}, ${run.lifecycleStage}, ${run.artifactUri}
        FROM experiments e WHERE e.id = ${run.experimentId} AND e.lifecycle_stage = 'active'
        RETURNING id
      ),
      t AS (
        INSERT INTO run_tags (run_id, key, value)
        SELECT r.id, t.key, t.value FROM r, unnest(${tags.map((t) => t.key)}::text[], ${tags.map((t) => t.value)}::text[]) AS t(key, value)
      )
      SELECT id FROM r`;
    return rows.length > 0;
  }

  /**
   * Sets the given fields of an active run (a new name also goes to the mlflow.runName tag) in one
   * statement; the run as updated, or null if it is absent or not active.
   */
  async update(runId: string, fields: { status?: string; endTime?: number; name?: string }): Promise<RunRecord | null> {
    const rows = await this.sql.query<RunRow>`
      WITH u AS (
        UPDATE runs SET status = COALESCE(${fields.status ?? null}::text, status),
          end_time = COALESCE(${fields.endTime === undefined ? null : String(fields.endTime)}::bigint, end_time),
          name = COALESCE(${fields.name ?? null}::text, name)
        WHERE id = ${runId} AND lifecycle_stage = 'active'
        RETURNING ${RUN_COLUMNS}
      ),
      t AS (
        INSERT INTO run_tags (run_id, key, value)
        SELECT id, 'mlflow.runName', name FROM u WHERE ${fields.name ?? null}::text IS NOT NULL
        ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value
      )
      SELECT * FROM u`;
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async setLifecycle(runId: string, stage: 'active' | 'deleted', deletedTime: number | null): Promise<void> {
    await this.prisma.run.update({
      where: { id: runId },
      data: { lifecycleStage: stage, deletedTime: deletedTime === null ? null : BigInt(deletedTime) },
    });
  }

  /**
   * Writes a whole log-batch as ONE SQL statement (atomic, one round trip): params (insert if
   * absent), metric history (exact duplicates ignored), latest metrics (kept if the new point is
   * not greater by (step, timestamp, value)), tags (upsert). Nothing is written unless the run is
   * active (its lifecycle stage is returned, null if it does not exist), nor if a param would
   * change value (the conflicting keys are returned).
   * `latest` must hold at most one point per key; `tags` at most one value per key.
   *
   * Metric points are first inserted plainly: skipping duplicates with ON CONFLICT costs a
   * speculative insertion per row (a fifth of a 1,000-point batch). Only when a point already
   * exists does the statement fail as a whole, writing nothing, and run again skipping duplicates.
   *
   * Params are compared with the statement's snapshot, which misses a param that a concurrent
   * statement has logged but not committed, or committed since: the plain insert of that key
   * then waits for the other transaction and, once it has committed, fails with a unique
   * violation (rather than skipping the row and answering success for a value not stored). The
   * statement then runs again, writing nothing the first time: its new snapshot (READ COMMITTED)
   * sees the committed value, so the key is either the same value (skipped) or a conflict
   * (returned). Each such retry sees at least one more of the batch's params, so there are at
   * most as many as params.
   */
  async logBatch(
    runId: string,
    metrics: MetricRow[],
    latest: MetricRow[],
    params: Array<{ key: string; value: string }>,
    tags: Array<{ key: string; value: string }>,
    modelMetrics: ModelMetricRow[] = [],
  ): Promise<{ lifecycleStage: string | null; conflicts: Array<{ key: string; old: string; new: string }> }> {
    const write = (skipDuplicates: boolean) =>
      this.sql.query<{ kind: 'run' | 'conflict'; key: string; old: string; new: string }>(logBatchStatement(runId, { metrics, latest, params, tags, modelMetrics }, skipDuplicates));
    let rows;
    let skipDuplicates = false;
    let paramRetries = params.length;
    for (;;) {
      try {
        rows = await write(skipDuplicates);
        break;
      } catch (err) {
        if (!skipDuplicates && isDuplicateMetric(err)) skipDuplicates = true;
        else if (!isParamLoggedMeanwhile(err) || paramRetries-- === 0) throw err;
      }
    }
    return {
      lifecycleStage: rows.find((r) => r.kind === 'run')?.key ?? null,
      conflicts: rows.filter((r) => r.kind === 'conflict'),
    };
  }

  /** Experiment of each of these logged models that exists and is not deleted. */
  async loggedModelExperiments(ids: string[]): Promise<Map<string, bigint>> {
    const rows = await this.sql.query<{ id: string; experiment_id: bigint }>`
      SELECT id, experiment_id FROM logged_models WHERE id = ANY(${ids}::text[]) AND lifecycle_stage = 'active'`;
    return new Map(rows.map((r) => [r.id, r.experiment_id]));
  }

  async getTag(runId: string, key: string): Promise<string | null> {
    const rows = await this.sql.query<{ value: string }>`SELECT value FROM run_tags WHERE run_id = ${runId} AND key = ${key}`;
    return rows[0]?.value ?? null;
  }

  /** Returns false when the tag did not exist. */
  async deleteTag(runId: string, key: string): Promise<boolean> {
    const { count } = await this.prisma.runTag.deleteMany({ where: { runId, key } });
    return count > 0;
  }

  /**
   * The metric's full history ordered by (timestamp, step, value, is_nan), one page: from an offset,
   * or right after the point with the sort key `after` (a keyset page: an index range, at any depth).
   */
  async metricHistory(runId: string, key: string, from: { offset: number } | { after: readonly [number, number, number, boolean] }, limit: number | null): Promise<MetricRow[]> {
    const start =
      'after' in from
        ? Prisma.sql`AND (timestamp, step, value, is_nan) > (${String(from.after[0])}::bigint, ${String(from.after[1])}::bigint, ${String(from.after[2])}::float8, ${from.after[3]})`
        : Prisma.empty;
    const rows = await this.sql.query<MetricPointRow>`
      SELECT ${METRIC_COLUMNS} FROM metrics WHERE run_id = ${runId} AND key = ${key} ${start}
      ORDER BY timestamp, step, value, is_nan
      ${limit === null ? Prisma.empty : Prisma.sql`LIMIT ${limit}`} ${'offset' in from ? Prisma.sql`OFFSET ${from.offset}` : Prisma.empty}`;
    return rows.map((r) => ({ key: r.key, value: r.value, timestamp: Number(r.timestamp), step: Number(r.step), isNan: r.is_nan }));
  }

  /**
   * The points of `key` for each run at no more than `maxResults` of its steps, evenly spread over
   * the run's distinct steps in the range (the first and last included): with n steps and m kept,
   * the g-th kept step is the round(g·(n−1)/(m−1))-th. Sampled in PostgreSQL, so a run's 100,000
   * points never leave the database to be thinned out here. One index-only pass per run counts its
   * distinct steps and finds the first and last; when they are consecutive (n = last − first + 1,
   * the usual history of a training loop) the g-th kept step is first + round(g·(n−1)/(m−1)) and
   * only the kept steps are read, one index lookup each. Otherwise (gaps between steps, or no more
   * than m of them) a second pass along the index ranks the steps and keeps those whose nearest g
   * maps back onto them.
   */
  async sampledMetricPoints(runIds: string[], key: string, startStep: number | undefined, endStep: number | undefined, maxResults: number): Promise<Array<MetricRow & { runId: string }>> {
    const range = startStep !== undefined && endStep !== undefined ? Prisma.sql`AND step BETWEEN ${String(startStep)}::bigint AND ${String(endStep)}::bigint` : Prisma.empty;
    const m = Prisma.sql`${maxResults}::int`;
    // `OFFSET 0` keeps the lookup of a kept step a subquery run per step (an index lookup), rather
    // than a join the planner may turn into a scan of the whole table.
    const rows = await this.sql.query<MetricPointRow & { run_id: string }>`
      WITH r AS MATERIALIZED (
        SELECT r.id, r.ord, c.n, c.first_step, c.n > ${m} AND c.last_step - c.first_step + 1 = c.n AS consecutive
        FROM unnest(${runIds}::text[]) WITH ORDINALITY AS r(id, ord)
        CROSS JOIN LATERAL (SELECT count(DISTINCT step) AS n, min(step) AS first_step, max(step) AS last_step FROM metrics WHERE run_id = r.id AND key = ${key} ${range}) c
        WHERE c.n > 0
      )
      SELECT r.id AS run_id, p.key, p.value, p.timestamp, p.step, p.is_nan, r.ord
      FROM r
      CROSS JOIN LATERAL generate_series(0, ${m} - 1) g
      CROSS JOIN LATERAL (
        SELECT ${METRIC_COLUMNS} FROM metrics
        WHERE run_id = r.id AND key = ${key} AND step = r.first_step + floor(g * (r.n - 1)::float8 / greatest(1, ${m} - 1) + 0.5)::bigint
        OFFSET 0
      ) p
      WHERE r.consecutive
      UNION ALL
      SELECT r.id, p.key, p.value, p.timestamp, p.step, p.is_nan, r.ord
      FROM r
      CROSS JOIN LATERAL (
        SELECT ${METRIC_COLUMNS}, dense_rank() OVER (ORDER BY step) - 1 AS i
        FROM metrics WHERE run_id = r.id AND key = ${key} ${range}
      ) p
      WHERE NOT r.consecutive
        AND (r.n <= ${m} OR floor(floor(p.i * (${m} - 1)::float8 / (r.n - 1) + 0.5) * (r.n - 1) / greatest(1, ${m} - 1)::float8 + 0.5) = p.i)
      ORDER BY ord, step, timestamp, value`;
    return rows.map((r) => ({ runId: r.run_id, key: r.key, value: r.value, timestamp: Number(r.timestamp), step: Number(r.step), isNan: r.is_nan }));
  }

  /** Upserts datasets (unique per experiment, name, digest) and links them to the run with their input tags. */
  async logInputs(
    runId: string,
    experimentId: bigint,
    datasets: Array<{ tags: Array<{ key: string; value: string }>; dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string } }>,
    modelIds: string[],
    newId: () => string,
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      for (const { dataset: d, tags } of datasets) {
        const [row] = await tx.$queryRaw<Array<{ id: string }>>`
          INSERT INTO datasets (id, experiment_id, name, digest, source_type, source, schema, profile)
          VALUES (${newId()}, ${experimentId}, ${d.name}, ${d.digest}, ${d.source_type}, ${d.source}, ${d.schema ?? null}, ${d.profile ?? null})
          ON CONFLICT (experiment_id, name, digest) DO UPDATE SET source_type = EXCLUDED.source_type
          RETURNING id`;
        await tx.$executeRaw`
          INSERT INTO run_dataset_inputs (run_id, dataset_id, tags) VALUES (${runId}, ${row!.id}, ${JSON.stringify(tags)}::jsonb)
          ON CONFLICT (run_id, dataset_id) DO UPDATE SET tags = EXCLUDED.tags`;
      }
      if (modelIds.length > 0) {
        await tx.runModelInput.createMany({ data: modelIds.map((modelId) => ({ runId, modelId })), skipDuplicates: true });
      }
    });
  }

  async logOutputs(runId: string, models: Array<{ modelId: string; step: number }>): Promise<void> {
    if (models.length === 0) return;
    await this.prisma.$executeRaw`
      INSERT INTO run_model_outputs (run_id, model_id, step)
      SELECT ${runId}, m, s FROM unnest(${models.map((m) => m.modelId)}::text[], ${models.map((m) => String(m.step))}::text[]::bigint[]) AS t(m, s)
      ON CONFLICT (run_id, model_id) DO UPDATE SET step = EXCLUDED.step`;
  }
}
