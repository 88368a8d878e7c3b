import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import type { CannonFigures } from './cannon';
import { Client } from 'pg';
import { mintToken } from '../../src/lib/tokens';
import type { BenchClient } from './client';
import { fmt, summarize, timeEach } from './stats';
import type { Row } from './table';

export interface Ctx {
  experimentId: string;
  runId: string;
}

type Log = (m: string) => void;

const ms = (s: { p50: number; p95: number; p99: number }) => `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)} ms`;

export function skipped(workload: string, why: string): Row {
  return { workload, mlflow: '', target: '', measured: 'skipped', detail: why, met: undefined };
}

async function createRun(api: BenchClient, experimentId: string): Promise<string> {
  const r = await api.post<{ run: { info: { run_id: string } } }>('runs/create', { experiment_id: experimentId, start_time: Date.now() });
  return r.run.info.run_id;
}

export async function setup(api: BenchClient, log: Log): Promise<Ctx> {
  log('creating the benchmark experiment');
  const { experiment_id } = await api.post<{ experiment_id: string }>('experiments/create', { name: `bench-${Date.now()}` });
  return { experimentId: experiment_id, runId: await createRun(api, experiment_id) };
}

export async function logBatch1000(api: BenchClient, ctx: Ctx, n: number, log: Log): Promise<Row> {
  log(`log-batch of 1,000 metrics × ${n}`);
  const runId = await createRun(api, ctx.experimentId);
  const body = (i: number) =>
    JSON.stringify({
      run_id: runId,
      metrics: Array.from({ length: 1000 }, (_, j) => ({ key: `m${j % 10}`, value: Math.random(), timestamp: 1_700_000_000_000 + i, step: i * 100 + Math.floor(j / 10) })),
    });
  const { samples } = await timeEach(n, (_, json) => api.postJson('runs/log-batch', json).then(() => undefined), undefined, body);
  const s = summarize(samples);
  return {
    workload: 'one log-batch of 1,000 metrics, p50',
    mlflow: '141 ms',
    target: '≤ 14 ms',
    measured: `${fmt(s.p50)} ms`,
    detail: `${ms(s)}; ${fmt(1000 / (s.p50 / 1000), 0)} metric rows/s`,
    met: s.p50 <= 14,
  };
}

export async function runLifecycle(api: BenchClient, ctx: Ctx, n: number, log: Log): Promise<Row> {
  log(`create run + log-batch + end × ${n}, sequential`);
  // Twice as many untimed runs as timed ones: a long-lived service has compiled these three paths.
  // The rate climbs for the first thousand runs after a start and is steady from there on.
  const { samples, totalMs } = await timeEach(n, async (i) => {
    const runId = await createRun(api, ctx.experimentId);
    await api.post('runs/log-batch', {
      run_id: runId,
      params: [{ key: 'lr', value: '0.01' }, { key: 'depth', value: String(i) }],
      metrics: [{ key: 'rmse', value: Math.random(), timestamp: Date.now(), step: 0 }, { key: 'r2', value: Math.random(), timestamp: Date.now(), step: 0 }],
      tags: [{ key: 'team', value: 'bench' }],
    });
    await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
  }, 2 * n);
  const rate = n / (totalMs / 1000);
  return {
    workload: 'create run + log-batch (2 params, 2 metrics, 1 tag) + end, sequential',
    mlflow: '23 runs/s',
    target: '≥ 230 runs/s',
    measured: `${fmt(rate, 0)} runs/s`,
    detail: `${ms(summarize(samples))} per run`,
    met: rate >= 230,
  };
}

/** Runs a load in a fresh process (cannon.ts): 2 untimed seconds of it, then the timed run. */
function cannon(opts: autocannon.Options & { logMetricRunId?: string }): Promise<CannonFigures> {
  return runChild<CannonFigures>('cannon.ts', [], { BENCH_CANNON: JSON.stringify(opts) });
}

function cannonDetail(r: CannonFigures): string {
  return `${fmt(r.p50)} / ${fmt(r.p97_5)} (p97.5) / ${fmt(r.p99)} ms${r.errors ? `; ${r.errors} errors/non-2xx` : ''}`;
}

export async function concurrentLogMetric(api: BenchClient, ctx: Ctx, seconds: number, log: Log): Promise<Row> {
  log(`single log-metric, 8 connections, ${seconds} s`);
  const runId = await createRun(api, ctx.experimentId);
  const r = await cannon({
    url: `${api.baseUrl}/api/2.0/mlflow/runs/log-metric`,
    connections: 8,
    duration: seconds,
    method: 'POST',
    headers: api.headers,
    logMetricRunId: runId,
  });
  const rate = r.rate;
  return {
    workload: 'single log-metric from 8 concurrent clients',
    mlflow: '138 req/s',
    target: '≥ 1,400 req/s',
    measured: `${fmt(rate, 0)} req/s`,
    detail: cannonDetail(r),
    met: rate >= 1400 && r.errors === 0,
  };
}

export async function getHistory2000(api: BenchClient, ctx: Ctx, n: number, log: Log): Promise<Row> {
  log(`get-history of 2,000 points × ${n}`);
  const runId = await createRun(api, ctx.experimentId);
  for (let b = 0; b < 2; b++) {
    await api.post('runs/log-batch', {
      run_id: runId,
      metrics: Array.from({ length: 1000 }, (_, j) => ({ key: 'loss', value: Math.random(), timestamp: 1_700_000_000_000 + b * 1000 + j, step: b * 1000 + j })),
    });
  }
  const { samples } = await timeEach(n, async () => {
    const r = await api.get<{ metrics: unknown[] }>('metrics/get-history', { run_id: runId, metric_key: 'loss' });
    if (r.metrics.length !== 2000) throw new Error(`get-history returned ${r.metrics.length} points, expected 2000`);
  });
  const s = summarize(samples);
  return { workload: 'get-history of 2,000 points, p50', mlflow: '236 ms', target: '≤ 24 ms', measured: `${fmt(s.p50)} ms`, detail: ms(s), met: s.p50 <= 24 };
}

/**
 * Settles a bulk load before the next row is timed: statistics, visibility map and dirty pages, so
 * that neither a stale plan nor autovacuum and the checkpointer working in the background are
 * measured as the service's time (a freshly loaded table is otherwise planned as empty).
 */
async function settle(databaseUrl: string | undefined, log: Log): Promise<void> {
  if (!databaseUrl) return;
  log('vacuuming, analyzing and checkpointing after the load');
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('VACUUM ANALYZE runs, run_tags, params, metrics, latest_metrics');
    await db.query('CHECKPOINT').catch(() => log('CHECKPOINT not permitted for this user; measuring without it'));
  } finally {
    await db.end();
  }
}

export async function searchRuns200(api: BenchClient, ctx: Ctx, n: number, databaseUrl: string | undefined, log: Log): Promise<Row> {
  log(`search-runs, 25 of 200 runs × ${n}`);
  const { experiment_id } = await api.post<{ experiment_id: string }>('experiments/create', { name: `bench-search-${Date.now()}` });
  for (let i = 0; i < 200; i++) {
    const runId = await createRun(api, experiment_id);
    await api.post('runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'rmse', value: i / 200, timestamp: Date.now(), step: 0 }],
      params: [{ key: 'model', value: i % 2 ? 'xgb' : 'rf' }],
    });
  }
  await settle(databaseUrl, log);
  // As many untimed searches as timed ones: the search path compiles over its first few hundred calls.
  const { samples } = await timeEach(n, async () => {
    const r = await api.post<{ runs: unknown[] }>('runs/search', {
      experiment_ids: [experiment_id],
      filter: 'metrics.rmse < 0.5',
      order_by: ['metrics.rmse ASC'],
      max_results: 25,
    });
    if (r.runs.length !== 25) throw new Error(`search returned ${r.runs.length} runs, expected 25`);
  }, n);
  const s = summarize(samples);
  return {
    workload: 'search-runs, metric filter + order_by, 25 of 200 runs, p50',
    mlflow: '29 ms',
    target: '≤ 3 ms',
    measured: `${fmt(s.p50, 2)} ms`,
    detail: ms(s),
    met: s.p50 <= 3,
  };
}

/** Seeds runs straight into PostgreSQL (the API would take minutes), then searches through the API. */
export async function searchRuns100k(api: BenchClient, ctx: Ctx, databaseUrl: string, count: number, n: number, log: Log): Promise<Row> {
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
  return {
    workload: `search-runs, metric filter over ${count.toLocaleString()} runs (1 % match), p50`,
    mlflow: 'not measured',
    target: '≤ 30 ms',
    measured: `${fmt(s.p50)} ms`,
    detail: `${ms(s)}; first page of 100`,
    met: s.p50 <= 30,
  };
}

export async function artifacts50mb(api: BenchClient, ctx: Ctx, n: number, dataDir: string | undefined, log: Log): Promise<Row[]> {
  const size = 50 * 1024 * 1024;
  const key = `${ctx.experimentId}/${ctx.runId}/artifacts/bench.bin`;
  const url = `${api.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${key}`;
  // Both references write on the same disk as the local store (the scratch server's DATA_DIR).
  const dir = fs.mkdtempSync(path.join(dataDir ?? os.tmpdir(), 'raw-'));
  try {
    log(`50 MB artifact upload and download × ${n}, from a separate client process, each followed by the same through plain node:http`);
    const reference = await startHelperServer('stream-reference.ts', [dir], {});
    let t: { up: number[]; down: number[]; referenceUp: number[]; referenceDown: number[] };
    try {
      t = await runChild('transfer.ts', [url, `http://127.0.0.1:${reference.port}/reference.bin`, String(size), String(n)], { BENCH_TOKEN: api.token });
    } finally {
      reference.child.kill('SIGTERM');
    }
    // Physical reference: the same bytes written and copied on the same disk, no HTTP.
    const payload = randomBytes(size);
    const src = path.join(dir, 'src.bin');
    const raw = await timeEach(n, async (i) => {
      await fs.promises.writeFile(src, payload);
      await fs.promises.copyFile(src, path.join(dir, `copy-${i}.bin`));
    });
    const mbps = (samples: number[]) => size / 2 ** 20 / (summarize(samples).p50 / 1000);
    const rawRate = mbps(raw.samples) * 2; // write + copy moved the bytes twice
    const row = (direction: 'upload' | 'download', mlflow: string, samples: number[], referenceSamples: number[]): Row => {
      const rate = mbps(samples);
      const referenceRate = mbps(referenceSamples);
      return {
        workload: `50 MB artifact ${direction} through the proxy`,
        mlflow,
        target: '≥ 400 MB/s',
        measured: `${fmt(rate, 0)} MB/s`,
        detail:
          `plain node:http ${fmt(referenceRate, 0)} MB/s (proxy at ${fmt((rate / referenceRate) * 100, 0)} %); ` +
          `raw disk write+copy ${fmt(rawRate, 0)} MB/s (proxy at ${fmt((rate / rawRate) * 100, 0)} %)`,
        met: rate >= 400,
      };
    };
    return [row('upload', '84 MB/s', t.up, t.referenceUp), row('download', '29 MB/s', t.down, t.referenceDown)];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs one of this folder's scripts in a Node process of its own, stdout piped to us; secrets
 * (tokens, database URLs) go in `env`, never on its command line.
 */
function spawnScript(script: string, args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
}

/** Starts a reference server script, which prints its port once listening. */
async function startHelperServer(script: string, args: string[], env: Record<string, string>) {
  const child = spawnScript(script, args, env);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, port };
}

/** Runs a helper script in a process of its own and parses the JSON it prints. */
function runChild<T>(script: string, args: string[], env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawnScript(script, args, env);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${script} exited with ${code}`))));
  });
}

export async function concurrentGetModel(api: BenchClient, seconds: number, log: Log): Promise<Row> {
  const name = `bench-model-${Date.now()}`;
  await api.post('registered-models/create', { name, description: 'benchmark' });
  log(`authenticated GET of a registered model, 50 connections, ${seconds} s`);
  const r = await cannon({
    url: `${api.baseUrl}/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(name)}`,
    connections: 50,
    duration: seconds,
    headers: { Authorization: `Bearer ${api.token}` },
  });
  const rate = r.rate;
  return {
    workload: 'authenticated GET of a registered model, 50 connections',
    mlflow: 'not measured',
    target: '≥ 5,000 req/s',
    measured: `${fmt(rate, 0)} req/s`,
    detail: cannonDetail(r),
    met: rate >= 5000 && r.errors === 0,
  };
}

/**
 * The physical reference for the concurrent GET row: the same stack (Express, jsonwebtoken, pg) in
 * a process of its own that only verifies the token, and then also runs one trivial query.
 */
export async function getCeilingReference(databaseUrl: string, seconds: number, log: Log): Promise<Row> {
  log(`reference: plain Express + token check (+ one trivial query), 50 connections, 2 × ${seconds} s`);
  const secret = randomBytes(32).toString('hex');
  const { child, port } = await startHelperServer('ceiling-server.ts', [], { BENCH_DATABASE_URL: databaseUrl, BENCH_SECRET: secret });
  try {
    const headers = { Authorization: `Bearer ${mintToken({ secret, subject: 'bench', ttl: '1h' })}` };
    const auth = await cannon({ url: `http://127.0.0.1:${port}/auth`, connections: 50, duration: seconds, headers });
    const query = await cannon({ url: `http://127.0.0.1:${port}/query`, connections: 50, duration: seconds, headers });
    return {
      workload: 'reference: plain Express + token check + one trivial query, 50 connections',
      mlflow: '',
      target: '',
      measured: `${fmt(query.rate, 0)} req/s`,
      detail: `token check alone ${fmt(auth.rate, 0)} req/s; no registry code (scripts/bench/ceiling-server.ts)`,
      met: undefined,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

/** The physical reference for log-batch: the same 1,000 metric rows as one multi-row INSERT. */
export async function rawInsertReference(databaseUrl: string, n: number, log: Log): Promise<Row> {
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
    return {
      workload: 'reference: raw INSERT of the same 1,000 metric rows into PostgreSQL',
      mlflow: '',
      target: '',
      measured: `${fmt(s.p50)} ms`,
      detail: `${ms(s)}; ${fmt(1000 / (s.p50 / 1000), 0)} rows/s (log-batch should reach ≥ 50 % of this)`,
      met: undefined,
    };
  } finally {
    await db.end();
  }
}
