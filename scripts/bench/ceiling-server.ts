// The reference for the concurrent GET row: an authenticated JSON GET on this stack (Express,
// jsonwebtoken, pg) used plainly, with Node's own request classes and a signature check per request,
// in its own process like the service. The service outruns it: its requests are built for Express
// (src/http/http-server.ts) and it remembers verified tokens.
// GET /auth verifies the bearer token and answers; GET /query also runs one trivial query.
// POST /api/2.0/mlflow/runs/{create,log-batch,log-metric,update,search} and GET
// /api/2.0/mlflow/metrics/get-history: the plumbing of the tracking rows and nothing more (below),
// the reference for how much of their time any server on this stack pays.
// usage: BENCH_DATABASE_URL=<database url> BENCH_SECRET=<secret> ceiling-server.ts; prints the port once listening.
import { createSecretKey, randomBytes } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import { Pool } from 'pg';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? '';
const secret = process.env.BENCH_SECRET ?? '';
const key = createSecretKey(Buffer.from(secret, 'utf8'));
const pool = new Pool({ connectionString: databaseUrl, max: 20 });
const app = express();

const subject = (header: string | undefined): string => {
  const claims = jwt.verify((header ?? '').replace(/^Bearer /, ''), key, { algorithms: ['HS256'] });
  return typeof claims === 'object' && typeof claims.sub === 'string' ? claims.sub : '';
};

app.get('/auth', (req, res) => {
  res.json({ registered_model: { name: 'reference', user_id: subject(req.headers.authorization) } });
});
app.get('/query', async (req, res) => {
  const sub = subject(req.headers.authorization);
  const { rows } = await pool.query<{ name: string; user_id: string }>({ name: 'reference', text: 'SELECT $1::text AS name, $2::text AS user_id', values: ['reference', sub] });
  res.json({ registered_model: rows[0] });
});

// The tracking writes of the sequential and concurrent rows, each one raw statement after the token
// check and express.json: no validation, no run check, no permission lookup. A batch without
// params or tags writes the metric rows alone.
const ingest = express.json({ limit: '20mb' });
const METRIC_ROWS = `json_to_recordset($2::json) AS t(key text, value float8, timestamp bigint, step bigint)`;
const statements = {
  createRun: `INSERT INTO runs (id, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
              VALUES ($1, $2::bigint, $1, $3, 'RUNNING', $4, 'active', 'mlflow-artifacts:/' || $2 || '/' || $1 || '/artifacts')`,
  metrics: `INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan) SELECT $1, key, value, timestamp, step, false FROM ${METRIC_ROWS}`,
  batch: `WITH p AS (INSERT INTO params (run_id, key, value) SELECT $1, k, v FROM unnest($3::text[], $4::text[]) AS t(k, v)),
               t AS (INSERT INTO run_tags (run_id, key, value) SELECT $1, k, v FROM unnest($5::text[], $6::text[]) AS t(k, v))
          INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan) SELECT $1, key, value, timestamp, step, false FROM ${METRIC_ROWS}`,
  logMetric: `WITH m AS (INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan) VALUES ($1, $2, $3, $4, $5, false))
              INSERT INTO latest_metrics (run_id, key, value, timestamp, step, is_nan) VALUES ($1, $2, $3, $4, $5, false)
              ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value, timestamp = EXCLUDED.timestamp, step = EXCLUDED.step`,
  endRun: `UPDATE runs SET status = $2, end_time = $3 WHERE id = $1`,
};
type KeyValue = Array<{ key: string; value: string }>;
const keysOf = (rows: KeyValue = []) => rows.map((r) => r.key);
const valuesOf = (rows: KeyValue = []) => rows.map((r) => r.value);

app.post('/api/2.0/mlflow/runs/create', ingest, async (req, res) => {
  const user = subject(req.headers.authorization);
  const { experiment_id: experimentId, start_time: startTime } = req.body as { experiment_id: string; start_time: number };
  const runId = randomBytes(16).toString('hex');
  await pool.query({ name: 'create-run', text: statements.createRun, values: [runId, experimentId, user, startTime] });
  res.json({ run: { info: { run_id: runId } } });
});
app.post('/api/2.0/mlflow/runs/log-batch', ingest, async (req, res) => {
  subject(req.headers.authorization);
  const { run_id: runId, metrics = [], params, tags } = req.body as { run_id: string; metrics?: unknown[]; params?: KeyValue; tags?: KeyValue };
  const rows = JSON.stringify(metrics);
  await (params?.length || tags?.length
    ? pool.query({ name: 'batch', text: statements.batch, values: [runId, rows, keysOf(params), valuesOf(params), keysOf(tags), valuesOf(tags)] })
    : pool.query({ name: 'metrics', text: statements.metrics, values: [runId, rows] }));
  res.json({});
});
app.post('/api/2.0/mlflow/runs/log-metric', ingest, async (req, res) => {
  subject(req.headers.authorization);
  const m = req.body as { run_id: string; key: string; value: number; timestamp: number; step?: number };
  await pool.query({ name: 'log-metric', text: statements.logMetric, values: [m.run_id, m.key, m.value, m.timestamp, m.step ?? 0] });
  res.json({});
});
app.post('/api/2.0/mlflow/runs/update', ingest, async (req, res) => {
  subject(req.headers.authorization);
  const { run_id: runId, status, end_time: endTime } = req.body as { run_id: string; status: string; end_time: number };
  await pool.query({ name: 'end-run', text: statements.endRun, values: [runId, status, endTime] });
  res.json({});
});

// The read rows: one statement each, the answer in MLflow's shape, nothing validated. The search
// knows one filter shape, the benchmark's (`metrics.<key> < <number>`, ordered by that metric
// ascending), so it parses no filter language, checks no permission and builds no SQL; it reads
// the page and everything a run answers (data, inputs, outputs) in one statement, where the service
// needs two (its page statement is built from the filter).
const SEARCH_FILTER = /^metrics\.(\w+) < (-?[0-9.]+)$/;
const searchStatement = `
  WITH page AS (
    SELECT r.id, m.value AS sort FROM runs r JOIN latest_metrics m ON m.run_id = r.id AND m.key = $2
    WHERE r.experiment_id = ANY($1::bigint[]) AND r.lifecycle_stage = 'active' AND m.value < $3
    ORDER BY m.value, r.id LIMIT $4)
  SELECT r.id, r.experiment_id::text, r.name, r.user_id, r.status, r.start_time::float8, r.end_time::float8, r.lifecycle_stage, r.artifact_uri,
    (SELECT json_agg(json_build_object('key', key, 'value', value, 'timestamp', timestamp, 'step', step)) FROM latest_metrics WHERE run_id = r.id) AS metrics,
    (SELECT json_agg(json_build_object('key', key, 'value', value)) FROM params WHERE run_id = r.id) AS params,
    (SELECT json_agg(json_build_object('key', key, 'value', value)) FROM run_tags WHERE run_id = r.id) AS tags,
    (SELECT json_agg(json_build_object('tags', i.tags, 'dataset', json_build_object('name', d.name, 'digest', d.digest, 'source_type', d.source_type,
       'source', d.source, 'schema', d.schema, 'profile', d.profile))) FROM run_dataset_inputs i JOIN datasets d ON d.id = i.dataset_id WHERE i.run_id = r.id) AS dataset_inputs,
    (SELECT json_agg(json_build_object('model_id', model_id)) FROM run_model_inputs WHERE run_id = r.id) AS model_inputs,
    (SELECT json_agg(json_build_object('model_id', model_id, 'step', step)) FROM run_model_outputs WHERE run_id = r.id) AS model_outputs
  FROM page JOIN runs r ON r.id = page.id ORDER BY page.sort, page.id`;
interface SearchRow {
  id: string;
  experiment_id: string;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  metrics: unknown[] | null;
  params: unknown[] | null;
  tags: unknown[] | null;
  dataset_inputs: unknown[] | null;
  model_inputs: unknown[] | null;
  model_outputs: unknown[] | null;
}
app.post('/api/2.0/mlflow/runs/search', ingest, async (req, res) => {
  subject(req.headers.authorization);
  const q = req.body as { experiment_ids: string[]; filter: string; order_by: string[]; max_results: number };
  const filter = SEARCH_FILTER.exec(q.filter);
  if (!filter || q.order_by[0] !== `metrics.${filter[1]} ASC`) {
    res.status(400).json({ error_code: 'INVALID_PARAMETER_VALUE', message: 'the plumbing knows one filter: metrics.<key> < <number>, ordered by it' });
    return;
  }
  const { rows } = await pool.query<SearchRow>({ name: 'search', text: searchStatement, values: [q.experiment_ids, filter[1], filter[2], q.max_results] });
  res.json({
    runs: rows.map((r) => ({
      info: {
        run_id: r.id,
        run_uuid: r.id,
        run_name: r.name,
        experiment_id: r.experiment_id,
        user_id: r.user_id,
        status: r.status,
        start_time: r.start_time,
        end_time: r.end_time ?? undefined,
        artifact_uri: r.artifact_uri,
        lifecycle_stage: r.lifecycle_stage,
      },
      data: { metrics: r.metrics ?? undefined, params: r.params ?? undefined, tags: r.tags ?? undefined },
      inputs: { dataset_inputs: r.dataset_inputs ?? undefined, model_inputs: r.model_inputs ?? undefined },
      outputs: r.model_outputs ? { model_outputs: r.model_outputs } : undefined,
    })),
  });
});
app.get('/api/2.0/mlflow/metrics/get-history', async (req, res) => {
  subject(req.headers.authorization);
  const { rows } = await pool.query<{ key: string; value: number; timestamp: number; step: number }>({
    name: 'history',
    text: 'SELECT key, value, timestamp::float8 AS timestamp, step::float8 AS step FROM metrics WHERE run_id = $1 AND key = $2 ORDER BY timestamp, step, value',
    values: [req.query.run_id, req.query.metric_key],
  });
  res.json({ metrics: rows });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});
