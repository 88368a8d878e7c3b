// npm run bench:serving [-- --seconds 3 --concurrency 4 --features 8 [--serving-job-url http://127.0.0.1:8080]]
// Without --serving-job-url it starts the standalone serving job itself (npm run serve-model) against
// the registry it measures.
//
// ONNX predictions (README "Predictions"): predictions per second and p50/p99 latency of a linear
// model at batch 1 and 1,000 through POST /api/2.0/serving/models/<name>/Production/invocations
// on the registry started in this process, next to a bare onnxruntime-node call on the same model
// in the same run (the overhead of our HTTP path), and the time from a promotion to the first
// prediction from the new version. Needs the local PostgreSQL (BENCH_ADMIN_URL, default
// postgresql://postgres@127.0.0.1:5432/postgres) for a scratch database, and onnxruntime-node.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createApp } from '../src/app';
import { parseCommandLine, withUsage } from '../src/cli/args';
import { loadConfig } from '../src/config';
import { createContainer } from '../src/container';
import { applyMigrations } from '../src/db/migrate';
import { createHttpServer } from '../src/http/http-server';
import { linearModel, type LinearModelSpec } from '../src/lib/onnx/linear-model';
import { onnxMLmodel } from '../src/lib/onnx/mlmodel-file';
import { mintToken } from '../src/lib/tokens';
import { Scorer } from '../src/modules/serving/scoring/scorer';
import { createLogger } from '../src/logger';
import { fmt, summarize } from './bench/stats';

const args = withUsage('usage: npm run bench:serving [-- --seconds N --concurrency N --features N --serving-job-url URL]', () =>
  parseCommandLine(process.argv.slice(2), {
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    features: { type: 'string', default: '8' },
    'serving-job-url': { type: 'string' },
  }),
);
const SECONDS = Number(args.values.seconds);
const CONCURRENCY = Number(args.values.concurrency);
const FEATURES = Number(args.values.features);
const BATCHES = [1, 1000];

export interface BenchRow {
  path: string;
  batch: number;
  predictionsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
}

/** The few fields of the API's answers the bench reads. */
interface Api {
  experiment_id: string;
  run: { info: { run_id: string; artifact_uri: string } };
  model_version: { version: string };
}

const spec = (bias: number): LinearModelSpec => ({ weights: Array.from({ length: FEATURES }, (_, i) => [i + 1]), bias: [bias] });
const rowsOf = (batch: number) => Array.from({ length: batch }, (_, r) => Array.from({ length: FEATURES }, (_, i) => (r + i) % 7));

/** Calls `once` from `concurrency` loops for `seconds`; each call makes `batch` predictions. */
async function load(pathName: string, batch: number, once: () => Promise<void>): Promise<BenchRow> {
  for (let i = 0; i < 20; i++) await once(); // warm-up
  const samples: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await once();
        samples.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const s = summarize(samples);
  return { path: pathName, batch, predictionsPerSecond: (samples.length * batch) / elapsed, p50: s.p50, p99: s.p99, requests: samples.length };
}

async function post(url: string, token: string, body: string): Promise<{ status: number; version: string | null; json: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body });
  const json: unknown = await res.json();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json)}`);
  return { status: res.status, version: res.headers.get('x-registry-model-version'), json };
}

/**
 * The rows "through the serving job" (`npm run serve-model`, MLflow's POST /invocations at
 * `jobUrl`), once that job serves the same model: call it with the job's base URL.
 */
export async function benchServingJob(jobUrl: string, token = ''): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const batch of BATCHES) {
    const body = JSON.stringify({ inputs: rowsOf(batch) });
    rows.push(await load('serving job (HTTP)', batch, async () => void (await post(`${jobUrl.replace(/\/$/, '')}/invocations`, token, body))));
  }
  return rows;
}

/** `npm run serve-model` for models:/<name>/Production of the registry at `registry`, on a free port, once it answers /ping. */
async function startServingJob(registry: string, token: string, name: string): Promise<{ url: string; stop: () => void }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const root = path.resolve(__dirname, '..');
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve-model.ts', '--registry', registry, '--model', `models:/${name}/Production`, '--port', String(port)], {
    cwd: root,
    // The token through the environment, never on a command line.
    env: { ...process.env, REGISTRY_TOKEN: token, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the serving job exited with ${proc.exitCode}`);
    if (
      await fetch(`${url}/ping`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > until) throw new Error('the serving job did not answer /ping within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  console.error(`serving job on ${url}`);
  return { url, stop: () => void proc.kill('SIGTERM') };
}

async function bareRuntime(): Promise<BenchRow[]> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(linearModel(spec(0)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const rows: BenchRow[] = [];
  for (const batch of BATCHES) {
    const data = Float32Array.from(rowsOf(batch).flat());
    rows.push(await load('bare onnxruntime-node (main thread)', batch, async () => void (await session.run({ input: new ort.Tensor('float32', data, [batch, FEATURES]) }))));
  }
  await session.release();
  return rows;
}

/** The scoring module alone (parsing, checks, the inference thread), with no HTTP and no registry lookup. */
async function scorerOnly(): Promise<BenchRow[]> {
  const files: Record<string, Buffer> = { 'model.onnx': Buffer.from(linearModel(spec(0))), MLmodel: Buffer.from(onnxMLmodel()) };
  const source = { key: 'bench', size: (p: string) => Promise.resolve(files[p]?.length), read: (p: string) => Promise.resolve(files[p]!) };
  const scorer = new Scorer({ maxModels: 1, maxModelBytes: 1e9, maxQueue: 1000, timeoutMs: 30_000 });
  const rows: BenchRow[] = [];
  for (const batch of BATCHES) {
    const body = Buffer.from(JSON.stringify({ inputs: rowsOf(batch) }));
    rows.push(await load('Scorer.predict (inference thread, no HTTP)', batch, async () => void (await scorer.predict(source, 'application/json', body))));
  }
  await scorer.close();
  return rows;
}

async function main(): Promise<void> {
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const db = `registry_bench_serving_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  const databaseUrl = u.toString();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-bench-serving-'));
  const secret = randomBytes(32).toString('hex');
  let close = async () => {};
  try {
    await applyMigrations(databaseUrl);
    const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, JWT_SECRET: secret, ADMIN_USERS: 'bench', LOG_LEVEL: 'silent', ACCESS_LOG: 'false' });
    const container = await createContainer(config, createLogger('silent'), { databaseUrl });
    const server = createHttpServer(createApp(container));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.dispose();
    };
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const token = mintToken({ secret, subject: 'bench' });
    const api = async (method: string, p: string, body?: unknown, contentType = 'application/json') => {
      const res = await fetch(`${base}${p}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
        body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Api;
    };
    const M = '/api/2.0/mlflow';
    const name = 'bench-linear';
    await api('POST', `${M}/registered-models/create`, { name });
    const experiment = (await api('POST', `${M}/experiments/create`, { name: 'bench-serving' })).experiment_id;
    const register = async (bias: number): Promise<string> => {
      const run = (await api('POST', `${M}/runs/create`, { experiment_id: experiment })).run.info;
      const root = run.artifact_uri.replace('mlflow-artifacts:/', '');
      await api('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/model/model.onnx`, Buffer.from(linearModel(spec(bias))), 'application/octet-stream');
      await api('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/model/MLmodel`, Buffer.from(onnxMLmodel()), 'application/octet-stream');
      return (await api('POST', `${M}/model-versions/create`, { name, source: `runs:/${run.run_id}/model`, run_id: run.run_id })).model_version.version;
    };
    const promote = (version: string) => api('POST', `${M}/model-versions/transition-stage`, { name, version, stage: 'Production', archive_existing_versions: true });
    const v1 = await register(0);
    await promote(v1);
    const url = `${base}/api/2.0/serving/models/${name}/Production/invocations`;

    const rows: BenchRow[] = [];
    for (const batch of BATCHES) {
      const body = JSON.stringify({ inputs: rowsOf(batch) });
      rows.push(await load('registry invocations (HTTP, in-process)', batch, async () => void (await post(url, token, body))));
    }
    // The same lookup of the Production version with no prediction: what the HTTP path costs here.
    const latest = JSON.stringify({ name, stages: ['Production'] });
    rows.push(await load('reference: get-latest-versions (HTTP, no prediction)', 0, async () => void (await post(`${base}${M}/registered-models/get-latest-versions`, token, latest))));
    rows.push(...(await scorerOnly()));
    rows.push(...(await bareRuntime()));
    // The standalone serving job (npm run serve-model) in a process of its own, pointed at this
    // registry, unless --serving-job-url names one already running.
    const job = args.values['serving-job-url'] === undefined ? await startServingJob(base, token, name) : undefined;
    const jobUrl = args.values['serving-job-url'] ?? job?.url;
    try {
      if (jobUrl) rows.push(...(await benchServingJob(jobUrl, token)));
    } finally {
      job?.stop();
    }

    // Promotion → first prediction from the new version, with requests running all along.
    const one = JSON.stringify({ inputs: rowsOf(1) });
    const switches: number[] = [];
    const afterAnswer: number[] = [];
    const v2 = await register(1000);
    let current = v1;
    for (let i = 0; i < 5; i++) {
      const next = current === v1 ? v2 : v1;
      let stop = false;
      let firstNew: number | undefined;
      const loops = Array.from({ length: CONCURRENCY }, async () => {
        while (!stop) {
          const r = await post(url, token, one);
          if (r.version === next && firstNew === undefined) firstNew = performance.now();
        }
      });
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      await promote(next);
      const answered = performance.now();
      while (firstNew === undefined) await new Promise((r) => setImmediate(r));
      stop = true;
      await Promise.all(loops);
      switches.push(firstNew - t0);
      afterAnswer.push(Math.max(0, firstNew - answered));
      current = next;
    }

    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    console.log(`\nONNX predictions: linear model, ${FEATURES} features, ${CONCURRENCY} concurrent callers, ${SECONDS} s per row (${os.cpus().length} CPUs, Node ${process.version})\n`);
    console.log(line(['path', 'batch', 'predictions/s', 'p50 ms', 'p99 ms', 'requests']));
    console.log(line(['---', '---:', '---:', '---:', '---:', '---:']));
    for (const r of rows)
      console.log(
        line([
          r.path,
          r.batch === 0 ? '-' : String(r.batch),
          r.batch === 0 ? `(${fmt(r.requests / SECONDS, 0)} req/s)` : fmt(r.predictionsPerSecond, 0),
          fmt(r.p50, 2),
          fmt(r.p99, 2),
          String(r.requests),
        ]),
      );
    const later = summarize(switches.slice(1));
    const laterAfterAnswer = summarize(afterAnswer.slice(1));
    console.log(
      `\npromotion → first prediction from the new version (from sending transition-stage; in brackets from its answer): first ${fmt(switches[0]!, 1)} ms [${fmt(afterAnswer[0]!, 1)} ms] (includes loading the new version's model), later p50 ${fmt(later.p50, 1)} ms [${fmt(laterAfterAnswer.p50, 1)} ms] (model already loaded)`,
    );
  } finally {
    await close();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
