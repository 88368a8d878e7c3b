// Rows that only run on our own server: they seed our schema straight into PostgreSQL, or they are
// the physical references of this machine (no registry code at all).
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { mintToken } from '../../src/lib/tokens';
import { cannon, startHelperServer } from './children';
import { BenchClient } from './client';
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
export async function getCeilingReference(databaseUrl: string, seconds: number, n: number, log: Log): Promise<{ query: Figure; authRate: number; sequential: Figure }> {
  log(`reference: plain Express + token check (+ one trivial query), 50 connections, 2 × ${seconds} s, then ${n} one at a time`);
  const secret = randomBytes(32).toString('hex');
  const { child, port } = await startHelperServer('ceiling-server.ts', [], { BENCH_DATABASE_URL: databaseUrl, BENCH_SECRET: secret });
  const token = mintToken({ secret, subject: 'bench', ttl: '1h' });
  const api = new BenchClient(`http://127.0.0.1:${port}`, token);
  try {
    const headers = { Authorization: `Bearer ${token}` };
    const auth = await cannon({ url: `http://127.0.0.1:${port}/auth`, connections: 50, duration: seconds, headers });
    const query = await cannon({ url: `http://127.0.0.1:${port}/query`, connections: 50, duration: seconds, headers });
    // One at a time through the benchmark's own client, as the sequential rows send theirs: the
    // least a request with a token and a query costs here, client and server on the same cores.
    const one = summarize((await timeEach(n, () => api.call('GET', '/query').then(() => undefined))).samples);
    return {
      query: { value: query.rate, unit: 'req/s', detail: `${fmt(query.p50)} / ${fmt(query.p97_5)} (p97.5) / ${fmt(query.p99)} ms`, errors: query.errors },
      authRate: auth.rate,
      sequential: { value: one.p50, unit: 'ms', digits: 2, detail: ms(one) },
    };
  } finally {
    await api.close();
    child.kill('SIGTERM');
  }
}

/**
 * The plumbing of the tracking rows as a target of its own (ceiling-server.ts): plain Express +
 * token check + express.json + one raw statement per request, on our schema and database (runs go
 * into `experimentId`), for the workloads of workloads.ts to run against as they run against ours.
 * What a server on this stack pays for each row before it validates or checks anything.
 */
export async function startPlumbing(databaseUrl: string, experimentId: string): Promise<{ target: Target; stop: () => Promise<void> }> {
  const secret = randomBytes(32).toString('hex');
  const { child, port } = await startHelperServer('ceiling-server.ts', [], { BENCH_DATABASE_URL: databaseUrl, BENCH_SECRET: secret });
  const api = new BenchClient(`http://127.0.0.1:${port}`, mintToken({ secret, subject: 'bench', ttl: '2h' }));
  return {
    target: { api, experimentId, runId: '' },
    async stop() {
      await api.close();
      child.kill('SIGTERM');
    },
  };
}

/** One way of writing the 1,000 rows of one batch, on a connection of its own. */
interface RawIngest {
  name: string;
  write(db: Client, runId: string, timestamp: number, rows: RawRows): Promise<unknown>;
}

interface RawRows {
  keys: string[];
  values: number[];
  steps: number[];
}

/** The multi-row INSERT of 1,000 rows, with the run id and timestamp bound once: 3,002 parameters. */
const MULTI_VALUES_TEXT = `INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan) VALUES ${Array.from(
  { length: 1000 },
  (_, j) => `($1, $${3 * j + 3}, $${3 * j + 4}, $2, $${3 * j + 5}, false)`,
).join(', ')}`;

/** The ways of raw ingest measured against each other, the fastest taken as the reference. */
const RAW_INGESTS: RawIngest[] = [
  {
    name: 'INSERT ... SELECT FROM unnest (3 arrays)',
    write: (db, runId, timestamp, { keys, values, steps }) =>
      db.query({
        name: 'bench-raw-unnest',
        text: `INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan)
               SELECT $1, k, v, $2, s, false FROM unnest($3::text[], $4::float8[], $5::bigint[]) AS t(k, v, s)`,
        values: [runId, timestamp, keys, values, steps],
      }),
  },
  {
    // The encoding log-batch sends its points in: one JSON document, read back by json_to_recordset.
    name: 'INSERT ... SELECT FROM json_to_recordset (1 document)',
    write: (db, runId, timestamp, { keys, values, steps }) =>
      db.query({
        name: 'bench-raw-json',
        text: `INSERT INTO metrics (run_id, key, value, timestamp, step, is_nan)
               SELECT $1, key, value, $2, step, false FROM json_to_recordset($3::json) AS t(key text, value float8, step bigint)`,
        values: [runId, timestamp, JSON.stringify(keys.map((key, j) => ({ key, value: values[j], step: steps[j] })))],
      }),
  },
  {
    name: 'prepared multi-row INSERT ... VALUES (1,000 rows)',
    write: (db, runId, timestamp, { keys, values, steps }) =>
      db.query({ name: 'bench-raw-values', text: MULTI_VALUES_TEXT, values: [runId, timestamp, ...keys.flatMap((k, j) => [k, values[j], steps[j]])] }),
  },
  {
    // PostgreSQL's bulk path: one COPY of 1,000 text lines (the keys here need no escaping).
    name: 'COPY FROM STDIN (text, 1,000 lines)',
    write: (db, runId, timestamp, { keys, values, steps }) =>
      pipeline(
        Readable.from([keys.map((k, j) => `${runId}\t${k}\t${values[j]}\t${timestamp}\t${steps[j]}\tf\n`).join('')]),
        db.query(copyFrom('COPY metrics (run_id, key, value, timestamp, step, is_nan) FROM STDIN')),
      ),
  },
];

/**
 * The physical reference for log-batch: the same 1,000 metric rows straight into PostgreSQL, each
 * way of RAW_INGESTS in turn on the same connection (prepared once, so neither pays a parse per
 * batch), and the fastest by p50 taken as the reference. Metric rows only: no run check, no
 * latest_metrics upsert, no HTTP or JSON, which log-batch does on top.
 */
export async function rawInsertReference(databaseUrl: string, n: number, log: Log): Promise<Figure & { fastest: number }> {
  log(`raw ingest of 1,000 metric rows × ${n} for each of: ${RAW_INGESTS.map((r) => r.name).join('; ')}`);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string }>('SELECT id FROM runs LIMIT 1');
    const runId = rows[0]!.id;
    const rowsOf = (i: number): RawRows => ({
      keys: Array.from({ length: 1000 }, (_, j) => `raw${j % 10}`),
      values: Array.from({ length: 1000 }, () => Math.random()),
      steps: Array.from({ length: 1000 }, (_, j) => i * 100 + Math.floor(j / 10)),
    });
    const samples = RAW_INGESTS.map(() => [] as number[]);
    const warmup = Math.max(2, Math.ceil(n / 5));
    for (let i = 0; i < warmup + n; i++) {
      // A rotating order, so that no way is always the first after a pause.
      for (let k = 0; k < RAW_INGESTS.length; k++) {
        const v = (i + k) % RAW_INGESTS.length;
        const input = rowsOf(i);
        const t0 = performance.now();
        await RAW_INGESTS[v]!.write(db, runId, 1_700_000_000_000 + i * RAW_INGESTS.length + v, input);
        if (i >= warmup) samples[v]!.push(performance.now() - t0);
      }
    }
    const summaries = samples.map(summarize);
    const best = summaries.reduce((b, s, v) => (s.p50 < summaries[b]!.p50 ? v : b), 0);
    const s = summaries[best]!;
    const all = RAW_INGESTS.map((r, v) => `${r.name} ${fmt(summaries[v]!.p50, 2)} ms`).join(', ');
    return { value: s.p50, unit: 'ms', detail: `${ms(s)}; ${fmt(1000 / (s.p50 / 1000), 0)} rows/s; fastest of ${all}`, fastest: best };
  } finally {
    await db.end();
  }
}

/**
 * The physical reference for the concurrent log-batch rows: `connections` connections, each writing
 * batches of 1,000 metric rows raw (way `way` of RAW_INGESTS: the fastest one at a time) one after
 * the other for `seconds`. Batches per second, comparable with those rows' req/s.
 */
export async function concurrentRawInsert(databaseUrl: string, connections: number, seconds: number, way: number, log: Log): Promise<Figure> {
  const ingest = RAW_INGESTS[way]!;
  log(`raw ingest of 1,000 metric rows from ${connections} connections by ${ingest.name}, ${seconds} s`);
  const clients = Array.from({ length: connections }, () => new Client({ connectionString: databaseUrl }));
  try {
    for (const c of clients) await c.connect();
    const { rows } = await clients[0]!.query<{ id: string }>('SELECT id FROM runs LIMIT 1');
    const runId = rows[0]!.id;
    const keys = Array.from({ length: 1000 }, (_, j) => `rawc${j % 10}`);
    let batches = 0;
    let seq = 0;
    const loop = async (db: Client, until: number, counted: boolean) => {
      while (performance.now() < until) {
        const i = seq++;
        const rows = { keys, values: keys.map(() => Math.random()), steps: keys.map((_, j) => i * 100 + Math.floor(j / 10)) };
        await ingest.write(db, runId, 1_800_000_000_000 + i, rows);
        if (counted) batches++;
      }
    };
    await Promise.all(clients.map((c) => loop(c, performance.now() + 1000, false))); // untimed: prepare and warm
    const start = performance.now();
    await Promise.all(clients.map((c) => loop(c, start + seconds * 1000, true)));
    const rate = batches / ((performance.now() - start) / 1000);
    return { value: rate, unit: 'req/s', detail: `${fmt(rate * 1000, 0)} rows/s in batches of 1,000 by ${ingest.name}` };
  } finally {
    for (const c of clients) await c.end().catch(() => undefined);
  }
}
