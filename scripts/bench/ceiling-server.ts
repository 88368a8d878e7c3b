// The reference for the concurrent GET row: an authenticated JSON GET on this stack (Express,
// jsonwebtoken, pg) used plainly, with Node's own request classes and a signature check per request,
// in its own process like the service. The service outruns it: its requests are built for Express
// (src/http/http-server.ts) and it remembers verified tokens.
// GET /auth verifies the bearer token and answers; GET /query also runs one trivial query.
// POST /api/2.0/mlflow/runs/{create,log-batch,log-metric,update}: the plumbing of the tracking rows
// and nothing more (below), the reference for how much of their time any server on this stack pays.
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

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});
