import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { cannon, runChild, startHelperServer } from './children';
import type { CannonFigures } from './cannon';
import type { BenchClient } from './client';
import { fmt, summarize, timeEach } from './stats';
import type { Figure } from './table';

/** One server the workloads measure: ours, or the reference (MLflow's own server). */
export interface Target {
  api: BenchClient;
  experimentId: string;
  runId: string;
  /** Our scratch server's database: bulk loads are settled there before the rows that read them. */
  databaseUrl?: string;
  /** Our scratch server's DATA_DIR: the artifact rows' plain references write on the same disk. */
  dataDir?: string;
  /** The server's HS256 signing secret, to mint non-admin tokens: our scratch servers only. */
  secret?: string;
  /** The experiment of 200 runs searchRuns200 made, for the concurrent searches. */
  searchExperimentId?: string;
  /** Our scratch server's METRICS_TOKEN: the artifact rows count its full garbage collections. */
  metricsToken?: string;
}

export type Log = (m: string) => void;

export const ms = (s: { p50: number; p95: number; p99: number }) => `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)} ms`;

export async function createRun(api: BenchClient, experimentId: string): Promise<string> {
  const r = await api.post<{ run: { info: { run_id: string } } }>('runs/create', { experiment_id: experimentId, start_time: Date.now() });
  return r.run.info.run_id;
}

export async function setup(api: BenchClient, log: Log, extra: Partial<Target> = {}): Promise<Target> {
  log(`creating the benchmark experiment on ${api.baseUrl}`);
  const { experiment_id } = await api.post<{ experiment_id: string }>('experiments/create', { name: `bench-${Date.now()}-${randomBytes(3).toString('hex')}` });
  return { ...extra, api, experimentId: experiment_id, runId: await createRun(api, experiment_id) };
}

export async function logBatch1000(t: Target, n: number, log: Log): Promise<Figure> {
  log(`log-batch of 1,000 metrics × ${n}`);
  const runId = await createRun(t.api, t.experimentId);
  const body = (i: number) =>
    JSON.stringify({
      run_id: runId,
      metrics: Array.from({ length: 1000 }, (_, j) => ({ key: `m${j % 10}`, value: Math.random(), timestamp: 1_700_000_000_000 + i, step: i * 100 + Math.floor(j / 10) })),
    });
  const { samples } = await timeEach(n, (_, json) => t.api.postJson('runs/log-batch', json).then(() => undefined), undefined, body);
  const s = summarize(samples);
  return { value: s.p50, unit: 'ms', detail: `${ms(s)}; ${fmt(1000 / (s.p50 / 1000), 0)} metric rows/s` };
}

export async function runLifecycle(t: Target, n: number, log: Log): Promise<Figure> {
  log(`create run + log-batch + end × ${n}, sequential`);
  // Twice as many untimed runs as timed ones: a long-lived service has compiled these three paths.
  // The rate climbs for the first thousand runs after a start and is steady from there on.
  const { samples, totalMs } = await timeEach(
    n,
    async (i) => {
      const runId = await createRun(t.api, t.experimentId);
      await t.api.post('runs/log-batch', {
        run_id: runId,
        params: [
          { key: 'lr', value: '0.01' },
          { key: 'depth', value: String(i) },
        ],
        metrics: [
          { key: 'rmse', value: Math.random(), timestamp: Date.now(), step: 0 },
          { key: 'r2', value: Math.random(), timestamp: Date.now(), step: 0 },
        ],
        tags: [{ key: 'team', value: 'bench' }],
      });
      await t.api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
    },
    2 * n,
  );
  return { value: n / (totalMs / 1000), unit: 'runs/s', detail: `${ms(summarize(samples))} per run` };
}

export const cannonFigure = (r: CannonFigures, note = ''): Figure => ({
  value: r.rate,
  unit: 'req/s',
  detail: `${fmt(r.p50)} / ${fmt(r.p97_5)} (p97.5) / ${fmt(r.p99)} ms${note}${r.timeouts ? `; ${r.timeouts} timed out` : ''}`,
  errors: r.errors,
});

export async function concurrentLogMetric(t: Target, seconds: number, log: Log): Promise<Figure> {
  log(`single log-metric, 8 connections, ${seconds} s`);
  const runId = await createRun(t.api, t.experimentId);
  const r = await cannon({ url: `${t.api.baseUrl}/api/2.0/mlflow/runs/log-metric`, connections: 8, duration: seconds, method: 'POST', headers: t.api.headers, logMetricRunId: runId });
  return cannonFigure(r);
}

/** log-batch of 1,000 new metric points per request from `connections` clients, all into one run. */
export async function concurrentLogBatch(t: Target, connections: number, seconds: number, log: Log): Promise<Figure> {
  log(`log-batch of 1,000 metrics, ${connections} connections, ${seconds} s`);
  const runId = await createRun(t.api, t.experimentId);
  const r = await cannon({ url: `${t.api.baseUrl}/api/2.0/mlflow/runs/log-batch`, connections, duration: seconds, method: 'POST', headers: t.api.headers, logBatchRunId: runId });
  const f = cannonFigure(r);
  return { ...f, detail: `${f.detail}; ${fmt(r.rate * 1000, 0)} metric rows/s` };
}

export async function getHistory2000(t: Target, n: number, log: Log): Promise<Figure> {
  log(`get-history of 2,000 points × ${n}`);
  const runId = await createRun(t.api, t.experimentId);
  for (let b = 0; b < 2; b++) {
    await t.api.post('runs/log-batch', {
      run_id: runId,
      metrics: Array.from({ length: 1000 }, (_, j) => ({ key: 'loss', value: Math.random(), timestamp: 1_700_000_000_000 + b * 1000 + j, step: b * 1000 + j })),
    });
  }
  const { samples } = await timeEach(n, async () => {
    const r = await t.api.get<{ metrics: unknown[] }>('metrics/get-history', { run_id: runId, metric_key: 'loss' });
    if (r.metrics.length !== 2000) throw new Error(`get-history returned ${r.metrics.length} points, expected 2000`);
  });
  const s = summarize(samples);
  return { value: s.p50, unit: 'ms', detail: ms(s) };
}

/**
 * Settles a bulk load before the next row is timed: statistics, visibility map and dirty pages, so
 * that neither a stale plan nor autovacuum and the checkpointer working in the background are
 * measured as the service's time (a freshly loaded table is otherwise planned as empty). Only on
 * our scratch server's database; the reference server's database is its own.
 */
export async function settle(databaseUrl: string | undefined, log: Log): Promise<void> {
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

export const SEARCH_25_OF_200 = { filter: 'metrics.rmse < 0.5', order_by: ['metrics.rmse ASC'], max_results: 25 };

/** Makes the experiment of 200 runs the search rows read (once per target), and returns its id. */
export async function searchExperiment(t: Target, log: Log): Promise<string> {
  if (t.searchExperimentId) return t.searchExperimentId;
  log(`creating 200 runs to search on ${t.api.baseUrl}`);
  const { experiment_id } = await t.api.post<{ experiment_id: string }>('experiments/create', { name: `bench-search-${Date.now()}-${randomBytes(3).toString('hex')}` });
  for (let i = 0; i < 200; i++) {
    const runId = await createRun(t.api, experiment_id);
    await t.api.post('runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'rmse', value: i / 200, timestamp: Date.now(), step: 0 }],
      params: [{ key: 'model', value: i % 2 ? 'xgb' : 'rf' }],
    });
  }
  await settle(t.databaseUrl, log);
  t.searchExperimentId = experiment_id;
  return experiment_id;
}

/** The search of 25 of 200 runs, sequentially, with `api` (the target's own token or another). */
export async function searchRuns200(t: Target, n: number, log: Log, api: BenchClient = t.api): Promise<Figure> {
  const experimentId = await searchExperiment(t, log);
  log(`search-runs, 25 of 200 runs × ${n}`);
  // As many untimed searches as timed ones: the search path compiles over its first few hundred calls.
  const { samples } = await timeEach(
    n,
    async () => {
      const r = await api.post<{ runs?: unknown[] }>('runs/search', { experiment_ids: [experimentId], ...SEARCH_25_OF_200 });
      if (r.runs?.length !== 25) throw new Error(`search returned ${r.runs?.length ?? 0} runs, expected 25`);
    },
    n,
  );
  const s = summarize(samples);
  return { value: s.p50, unit: 'ms', digits: 2, detail: ms(s) };
}

/** The same search from `connections` concurrent clients. */
export async function concurrentSearch(t: Target, connections: number, seconds: number, log: Log): Promise<Figure> {
  const experimentId = await searchExperiment(t, log);
  log(`search-runs, 25 of 200 runs, ${connections} connections, ${seconds} s`);
  const body = JSON.stringify({ experiment_ids: [experimentId], ...SEARCH_25_OF_200 });
  return cannonFigure(await cannon({ url: `${t.api.baseUrl}/api/2.0/mlflow/runs/search`, connections, duration: seconds, method: 'POST', headers: t.api.headers, body }));
}

export interface ArtifactFigures {
  up: Figure;
  down: Figure;
  /** The same bytes through plain node:http on the same disk, in the same run: MB/s. */
  plainUp: number;
  plainDown: number;
}

/**
 * How many full (mark-compact) garbage collections the target has run, from its own /metrics
 * (prom-client's nodejs_gc_duration_seconds); undefined without a metrics token (another server).
 */
async function fullCollections(t: Target): Promise<number | undefined> {
  if (!t.metricsToken) return undefined;
  const res = await fetch(`${t.api.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${t.metricsToken}` } });
  if (!res.ok) throw new Error(`GET /metrics on ${t.api.baseUrl} answered ${res.status}`);
  const count = /^nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)/m.exec(await res.text());
  return count ? Number(count[1]) : 0;
}

/**
 * 50 MB up and down through the target's artifact proxy (PUT/GET /api/2.0/mlflow-artifacts/
 * artifacts/<path>, which MLflow's `--serve-artifacts` serves too), each transfer followed by the
 * same one through plain node:http (stream-reference.ts) and the same bytes written and copied on
 * the same disk with no HTTP.
 */
export async function artifacts50mb(t: Target, n: number, log: Log): Promise<ArtifactFigures> {
  const size = 50 * 1024 * 1024;
  const key = `${t.experimentId}/${t.runId}/artifacts/bench.bin`;
  const url = `${t.api.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${key}`;
  const dir = fs.mkdtempSync(path.join(t.dataDir ?? os.tmpdir(), 'raw-'));
  try {
    log(`50 MB artifact upload and download × ${n} on ${t.api.baseUrl}, each followed by the same through plain node:http`);
    const reference = await startHelperServer('stream-reference.ts', [dir], {});
    let s: { up: number[]; down: number[]; referenceUp: number[]; referenceDown: number[] };
    const collectionsBefore = await fullCollections(t);
    try {
      s = await runChild('transfer.ts', [url, `http://127.0.0.1:${reference.port}/reference.bin`, String(size), String(n)], { BENCH_TOKEN: t.api.token });
    } finally {
      reference.child.kill('SIGTERM');
    }
    const collectionsAfter = await fullCollections(t);
    const collections =
      collectionsBefore === undefined || collectionsAfter === undefined
        ? ''
        : `; ${collectionsAfter - collectionsBefore} full garbage collection(s) in the proxy during its ${2 * n + 2} transfers`;
    const payload = randomBytes(size);
    const src = path.join(dir, 'src.bin');
    const raw = await timeEach(n, async (i) => {
      await fs.promises.writeFile(src, payload);
      await fs.promises.copyFile(src, path.join(dir, `copy-${i}.bin`));
    });
    const mbps = (samples: number[]) => size / 2 ** 20 / (summarize(samples).p50 / 1000);
    const rawRate = mbps(raw.samples) * 2; // write + copy moved the bytes twice
    const figure = (samples: number[], plain: number): Figure => {
      const rate = mbps(samples);
      return {
        value: rate,
        unit: 'MB/s',
        detail: `plain node:http ${fmt(plain, 0)} MB/s (proxy at ${fmt((rate / plain) * 100, 0)} %); raw disk write+copy ${fmt(rawRate, 0)} MB/s${collections}`,
      };
    };
    const plainUp = mbps(s.referenceUp);
    const plainDown = mbps(s.referenceDown);
    return { up: figure(s.up, plainUp), down: figure(s.down, plainDown), plainUp, plainDown };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
