// Rows that only run on our own server: they seed our schema straight into PostgreSQL, or they are
// the physical references of this machine (no registry code at all).
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { mintToken } from '../../src/lib/tokens';
import { cannon, startHelperServer } from './children';
import { fmt, summarize, timeEach } from './stats';
import type { Figure } from './table';
import { type Log, type Target, ms, settle } from './workloads';

/** Seeds runs straight into PostgreSQL (the API would take minutes), then searches through the API. */
export async function searchRuns100k(t: Target, databaseUrl: string, count: number, n: number, log: Log): Promise<Figure> {
  const { api } = t;
  log(`seeding ${count.toLocaleString()} runs with a metric straight into PostgreSQL`);
  const { experiment_id } = await api.post<{ experiment_id: string }>('experiments/create', { name: `bench-100k-${Date.now()}` });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO runs (id, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
       SELECT md5($1 || i::text), $2::bigint, 'run-' || i, 'bench', 'FINISHED', 1700000000000 + i, 'active',
              'mlflow-artifacts:/' || $2 || '/' || md5($1 || i::text) || '/artifacts'
       FROM generate_series(1, $3::int) AS i`,
      [experiment_id, experiment_id, count],
    );
    await db.query(
      `INSERT INTO latest_metrics (run_id, key, value, timestamp, step, is_nan)
       SELECT md5($1 || i::text), 'acc', (i % 100) / 100.0 + 0.001, 1700000000000, 0, false FROM generate_series(1, $2::int) AS i`,
      [experiment_id, count],
    );
    await db.query(
      `INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan)
       SELECT run_id, key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_id IN (SELECT id FROM runs WHERE experiment_id = $1::bigint)`,
      [experiment_id],
    );
  } finally {
    await db.end();
  }
  await settle(databaseUrl, log);
  const expected = Math.min(100, count / 100);
  const { samples } = await timeEach(n, async () => {
    const r = await api.post<{ runs?: unknown[] }>('runs/search', {
      experiment_ids: [experiment_id],
      filter: 'metrics.acc > 0.99',
      max_results: 100,
    });
    if ((r.runs?.length ?? 0) !== expected) throw new Error(`search returned ${r.runs?.length ?? 0} runs, expected ${expected}`);
  });
  const s = summarize(samples);
  return { value: s.p50, unit: 'ms', detail: `${ms(s)}; first page of 100` };
}

/**
 * The physical reference for the concurrent GET row: the same stack (Express, jsonwebtoken, pg) in
 * a process of its own that only verifies the token, and then also runs one trivial query.
 */
export async function getCeilingReference(databaseUrl: string, seconds: number, log: Log): Promise<{ query: Figure; authRate: number }> {
  log(`reference: plain Express + token check (+ one trivial query), 50 connections, 2 × ${seconds} s`);
  const secret = randomBytes(32).toString('hex');
  const { child, port } = await startHelperServer('ceiling-server.ts', [], { BENCH_DATABASE_URL: databaseUrl, BENCH_SECRET: secret });
  try {
    const headers = { Authorization: `Bearer ${mintToken({ secret, subject: 'bench', ttl: '1h' })}` };
    const auth = await cannon({ url: `http://127.0.0.1:${port}/auth`, connections: 50, duration: seconds, headers });
    const query = await cannon({ url: `http://127.0.0.1:${port}/query`, connections: 50, duration: seconds, headers });
    return { query: { value: query.rate, unit: 'req/s', detail: `${fmt(query.p50)} / ${fmt(query.p97_5)} (p97.5) / ${fmt(query.p99)} ms`, errors: query.errors }, authRate: auth.rate };
  } finally {
    child.kill('SIGTERM');
  }
}

/** The physical reference for log-batch: the same 1,000 metric rows as one multi-row INSERT. */
export async function rawInsertReference(databaseUrl: string, n: number, log: Log): Promise<Figure> {
  log(`raw multi-row INSERT of 1,000 metric rows × ${n}`);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string }>('SELECT id FROM runs LIMIT 1');
    const runId = rows[0]!.id;
    const rowsOf = (i: number) => ({
      keys: Array.from({ length: 1000 }, (_, j) => `raw${j % 10}`),
      values: Array.from({ length: 1000 }, () => Math.random()),
      steps: Array.from({ length: 1000 }, (_, j) => i * 100 + Math.floor(j / 10)),
    });
    const { samples } = await timeEach(
      n,
      async (i, { keys, values, steps }) => {
        await db.query(
          `INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan)
           SELECT $1, k, v, $2, s, false FROM unnest($3::text[], $4::float8[], $5::bigint[]) AS t(k, v, s)`,
          [runId, 1_700_000_000_000 + i, keys, values, steps],
        );
      },
      undefined,
      rowsOf,
    );
    const s = summarize(samples);
    return { value: s.p50, unit: 'ms', detail: `${ms(s)}; ${fmt(1000 / (s.p50 / 1000), 0)} rows/s` };
  } finally {
    await db.end();
  }
}
