// Seeding for `npm run bench -- --scale` (scripts/bench/scale.ts): runs with their params, tags and
// metrics, the history of one big metric and registered models, written straight into our schema by
// INSERT ... SELECT FROM generate_series, each statement's rows in primary key order (the btrees
// then take them in runs of neighbouring pages rather than one random page per row). Not COPY FROM
// STDIN (pg-copy-streams, which the raw-ingest reference uses): COPY would send every row over the
// socket, while generate_series builds the rows inside PostgreSQL, so no row crosses it at all.
import { Client } from 'pg';
import type { Log } from './workloads';

export const PARAMS_PER_RUN = 10;
export const TAGS_PER_RUN = 5;
export const METRICS_PER_RUN = 10;
/** Runs written per statement: a progress line each, and no transaction of tens of millions of rows. */
const CHUNK = 50_000;
const T0 = 1_700_000_000_000;

/**
 * The value of metric m<k> of run i, spread evenly over [0, 1) so that a filter `metrics.m0 > x`
 * matches a fraction 1 - x of the runs at every size.
 */
const metricValue = (i: string, k: string) => `((${i}::bigint * 7919 + ${k} * 104729) % 100003) / 100003.0`;

export interface ScaleData {
  experimentId: string;
  /** The run whose metric `loss` holds the big history. */
  historyRunId: string;
}

export class ScaleSeeder {
  private runs = 0;
  private historyPoints = 0;
  private models = 0;

  private constructor(
    private readonly db: Client,
    private readonly data: ScaleData,
    private readonly stepsPerMetric: number,
    private readonly log: Log,
  ) {}

  /** `stepsPerMetric` points of each of a run's metrics in the history table (the latest is the last). */
  static async open(databaseUrl: string, data: ScaleData, stepsPerMetric: number, log: Log): Promise<ScaleSeeder> {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    // A bulk load that a crash may lose: no wait for the WAL flush at each chunk's commit.
    await db.query('SET synchronous_commit = off');
    // Rows consistent by construction, as pg_restore --disable-triggers loads them: no per-row
    // foreign key checks (their triggers do not fire in replica mode). Superuser only; without it
    // the load is slower, not different.
    await db.query('SET session_replication_role = replica').catch(() => log('session_replication_role not permitted for this user; loading with foreign key checks'));
    return new ScaleSeeder(db, data, stepsPerMetric, log);
  }

  /** Seeded runs (the history run, made through the API, not counted). */
  get runCount(): number {
    return this.runs;
  }

  /** Adds runs up to `total`, each with its params, tags, latest metrics and metric history. */
  async runsUpTo(total: number): Promise<void> {
    const e = this.data.experimentId;
    for (let from = this.runs + 1; from <= total; from += CHUNK) {
      const to = Math.min(total, from + CHUNK - 1);
      const started = Date.now();
      const ids = `md5($1::text || '-' || i)`;
      const span = [e, from, to];
      const range = `generate_series($2::int, $3::int) AS i`;
      await this.db.query('BEGIN');
      await this.db.query(
        `INSERT INTO runs (id, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
         SELECT ${ids}, $1::text::bigint, 'run-' || i, 'bench', 'FINISHED', ${T0} + i, ${T0} + i + 60000, 'active',
                'mlflow-artifacts:/' || $1::text || '/' || ${ids} || '/artifacts'
         FROM ${range} ORDER BY 1`,
        span,
      );
      await this.db.query(
        `INSERT INTO params (run_id, key, value)
         SELECT ${ids}, 'p' || k, ((i * 31 + k) % 1000)::text FROM ${range}, generate_series(0, ${PARAMS_PER_RUN - 1}) AS k ORDER BY 1, 2`,
        span,
      );
      await this.db.query(
        `INSERT INTO run_tags (run_id, key, value)
         SELECT ${ids}, 't' || k, 'v' || ((i + k) % 100) FROM ${range}, generate_series(0, ${TAGS_PER_RUN - 1}) AS k ORDER BY 1, 2`,
        span,
      );
      await this.db.query(
        `INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan)
         SELECT ${ids}, 'm' || k, ${metricValue('i', 'k')}, ${T0} + i + s, s, false
         FROM ${range}, generate_series(0, ${METRICS_PER_RUN - 1}) AS k, generate_series(0, ${this.stepsPerMetric - 1}) AS s ORDER BY 1, 2, 5`,
        span,
      );
      // The greatest (step, timestamp, value) of each metric: its last step.
      await this.db.query(
        `INSERT INTO latest_metrics (run_id, key, value, timestamp, step, is_nan)
         SELECT ${ids}, 'm' || k, ${metricValue('i', 'k')}, ${T0} + i + ${this.stepsPerMetric - 1}, ${this.stepsPerMetric - 1}, false
         FROM ${range}, generate_series(0, ${METRICS_PER_RUN - 1}) AS k ORDER BY 1, 2`,
        span,
      );
      await this.db.query('COMMIT');
      this.runs = to;
      this.log(`seeded runs ${from.toLocaleString()}–${to.toLocaleString()} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }

  /** Adds points of metric `loss` to the history run up to `total` (steps 0 .. total-1). */
  async historyUpTo(total: number): Promise<void> {
    const run = this.data.historyRunId;
    for (let from = this.historyPoints; from < total; from += 10 * CHUNK) {
      const to = Math.min(total, from + 10 * CHUNK) - 1;
      await this.db.query(
        `INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan)
         SELECT $1, 'loss', 1.0 / (1 + s / 1000.0), ${T0} + s, s, false FROM generate_series($2::bigint, $3::bigint) AS s`,
        [run, from, to],
      );
      this.historyPoints = to + 1;
    }
    const last = this.historyPoints - 1;
    await this.db.query(
      `INSERT INTO latest_metrics (run_id, key, value, timestamp, step, is_nan) VALUES ($1, 'loss', 1.0 / (1 + $2::bigint / 1000.0), ${T0} + $2::bigint, $2::bigint, false)
       ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value, timestamp = EXCLUDED.timestamp, step = EXCLUDED.step`,
      [run, last],
    );
    this.log(`history of metric loss: ${this.historyPoints.toLocaleString()} points`);
  }

  /**
   * Adds registered models up to `total`, named `<letter>-model-<n>` with the letters in turn, so
   * that `name LIKE 'x%'` matches one model in 26.
   */
  async modelsUpTo(total: number): Promise<void> {
    if (total <= this.models) return;
    await this.db.query(
      `INSERT INTO registered_models (name, user_id, creation_time, last_updated_time, last_version)
       SELECT chr(97 + i % 26) || '-model-' || lpad(i::text, 7, '0'), 'bench', ${T0} + i, ${T0} + i, 0 FROM generate_series($1::int, $2::int) AS i`,
      [this.models + 1, total],
    );
    this.models = total;
    this.log(`registered models: ${total.toLocaleString()}`);
  }

  /** Statistics and the visibility map of the loaded tables, and their pages written out (as settle() does). */
  async settle(): Promise<void> {
    await this.db.query('VACUUM ANALYZE runs, run_tags, params, metrics, latest_metrics, registered_models');
    await this.db.query('CHECKPOINT').catch(() => this.log('CHECKPOINT not permitted for this user; measuring without it'));
  }

  async databaseSizeMb(): Promise<number> {
    const { rows } = await this.db.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');
    return Number(rows[0]!.bytes) / 1024 / 1024;
  }

  async historyRows(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(`SELECT reltuples::bigint::text AS n FROM pg_class WHERE relname = 'metrics'`);
    return Number(rows[0]!.n);
  }

  close(): Promise<void> {
    return this.db.end();
  }
}
