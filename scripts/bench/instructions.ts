// npx tsx scripts/bench/instructions.ts [--workload get,get-group,life,search,batch] [--admin-url <url>] [--service-dir <dir>]
// Counts the machine instructions the service executes per operation, with valgrind's callgrind.
// Unlike the timings of `npm run bench`, the count does not move with what else the machine is
// doing, so it shows the effect of a change to the service's own code even on a noisy machine
// (the same build gives the same count to within about 1 %). Needs valgrind and a built service
// (`npx tsc -p tsconfig.build.json`); takes about a minute per workload.
//
// For each workload it starts the service under callgrind with counting off, runs an untimed
// warm-up through the API (so V8 has compiled the hot paths), counts a fixed number of operations,
// and prints instructions per operation. The count covers every thread of the service's process:
// the JavaScript, V8's compiler and garbage collector, libuv and the pg driver; not the kernel,
// PostgreSQL or the client.
//
// --service-dir counts another build of the service (a git worktree of an older commit, built with
// `npx tsc -p tsconfig.build.json` there) with the same workloads, to compare two versions.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandLine, UsageError, withUsage } from '../../src/cli/args';
import { mintToken } from '../../src/lib/tokens';
import { BenchClient } from './client';
import { startScratchServer } from './server';

interface Workload {
  /** What one operation is. */
  label: string;
  warmup: number;
  measured: number;
  /** `api` is the service's admin; `secret` signs other tokens. */
  setup(api: BenchClient, secret: string): Promise<(i: number) => Promise<void>>;
}

async function newExperiment(api: BenchClient): Promise<string> {
  return (await api.post<{ experiment_id: string }>('experiments/create', { name: `instructions-${Date.now()}` })).experiment_id;
}

async function newRun(api: BenchClient, experimentId: string): Promise<string> {
  return (await api.post<{ run: { info: { run_id: string } } }>('runs/create', { experiment_id: experimentId, start_time: Date.now() })).run.info.run_id;
}

// The same requests as the rows of `npm run bench`.
const WORKLOADS: Record<string, Workload> = {
  get: {
    label: 'authenticated registered-models/get (answered from the cache)',
    warmup: 3000,
    measured: 1000,
    async setup(api) {
      const name = `instructions-${Date.now()}`;
      await api.post('registered-models/create', { name });
      return async () => {
        await api.get('registered-models/get', { name });
      };
    },
  },
  'get-group': {
    label: 'registered-models/get by a non-admin whose READ comes from a group grant (cached model, grants query)',
    warmup: 3000,
    measured: 1000,
    async setup(api, secret) {
      const name = `instructions-${Date.now()}`;
      await api.post('registered-models/create', { name });
      await api.post('registered-models/permissions/create', { name, group: 'bench-readers', permission: 'READ' });
      const reader = new BenchClient(api.baseUrl, mintToken({ secret, subject: 'bench-reader', groups: ['bench-readers'], ttl: '2h' }));
      return async () => {
        await reader.get('registered-models/get', { name });
      };
    },
  },
  life: {
    label: 'runs/create + runs/log-batch (2 params, 2 metrics, 1 tag) + runs/update',
    warmup: 1000,
    measured: 300,
    async setup(api) {
      const experimentId = await newExperiment(api);
      return async (i) => {
        const runId = await newRun(api, experimentId);
        await api.post('runs/log-batch', {
          run_id: runId,
          params: [
            { key: 'lr', value: '0.01' },
            { key: 'depth', value: String(i) },
          ],
          metrics: [
            { key: 'rmse', value: 0.5, timestamp: Date.now(), step: 0 },
            { key: 'r2', value: 0.25, timestamp: Date.now(), step: 0 },
          ],
          tags: [{ key: 'team', value: 'bench' }],
        });
        await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
      };
    },
  },
  search: {
    label: 'runs/search, metric filter + order_by, 25 of 200 runs',
    warmup: 800,
    measured: 300,
    async setup(api) {
      const experimentId = await newExperiment(api);
      for (let i = 0; i < 200; i++) {
        await api.post('runs/log-batch', {
          run_id: await newRun(api, experimentId),
          metrics: [{ key: 'rmse', value: i / 200, timestamp: Date.now(), step: 0 }],
          params: [{ key: 'model', value: i % 2 ? 'xgb' : 'rf' }],
        });
      }
      return async () => {
        await api.post('runs/search', { experiment_ids: [experimentId], filter: 'metrics.rmse < 0.5', order_by: ['metrics.rmse ASC'], max_results: 25 });
      };
    },
  },
  batch: {
    label: 'runs/log-batch of 1,000 metrics',
    warmup: 200,
    measured: 100,
    async setup(api) {
      const runId = await newRun(api, await newExperiment(api));
      return async (i) => {
        const metrics = Array.from({ length: 1000 }, (_, j) => ({ key: `m${j % 10}`, value: (j + 1) / 1001, timestamp: 1_700_000_000_000 + i, step: i * 100 + Math.floor(j / 10) }));
        await api.post('runs/log-batch', { run_id: runId, metrics });
      };
    },
  },
};

async function count(name: string, workload: Workload, adminUrl: string, serviceDir: string | undefined, log: (m: string) => void): Promise<{ main: number; all: number }> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-callgrind-'));
  const server = await startScratchServer(adminUrl, log, {
    // One profile per thread (summed below): V8's compiler and GC threads are counted apart from the main thread.
    wrapper: ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', '--separate-threads=yes', `--callgrind-out-file=${outDir}/callgrind.out`],
    startupSeconds: 300,
    ...(serviceDir !== undefined ? { serviceDir } : {}),
  });
  const api = new BenchClient(server.url, server.token);
  const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(server.pid)], { stdio: 'pipe' });
  try {
    const operation = await workload.setup(api, server.secret);
    log(`${name}: ${workload.warmup} untimed operations`);
    for (let i = 0; i < workload.warmup; i++) await operation(i);
    log(`${name}: counting ${workload.measured} operations`);
    control('-i', 'on');
    for (let i = 0; i < workload.measured; i++) await operation(workload.warmup + i);
    control('-i', 'off');
    control('-d');
  } finally {
    await api.close();
    await server.stop();
  }
  // One file per dump and thread (`…-01` is the main thread); only the dump taken above counted
  // anything ("totals:" is its event sum).
  let total = 0;
  let main = 0;
  for (const file of fs.readdirSync(outDir)) {
    const totals = /^totals:\s+(\d+)/m.exec(fs.readFileSync(path.join(outDir, file), 'utf8'));
    if (!totals) continue;
    total += Number(totals[1]);
    if (/-0*1$/.test(file)) main += Number(totals[1]);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  if (total === 0) throw new Error('callgrind counted nothing: is valgrind installed and callgrind_control on PATH?');
  return { main: main / workload.measured, all: total / workload.measured };
}

async function main(): Promise<void> {
  const usage = `usage: tsx scripts/bench/instructions.ts [--workload ${Object.keys(WORKLOADS).join(',')}] [--admin-url <postgres url>] [--service-dir <a built checkout>]`;
  const { values, names } = withUsage(usage, () => {
    const parsed = parseCommandLine(process.argv.slice(2), {
      workload: { type: 'string', default: Object.keys(WORKLOADS).join(',') },
      'admin-url': { type: 'string', default: process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
      'service-dir': { type: 'string' },
    });
    if (parsed === 'help') return parsed;
    const names = parsed.values.workload.split(',');
    for (const name of names) if (!WORKLOADS[name]) throw new UsageError(`unknown workload ${name}: use ${Object.keys(WORKLOADS).join(', ')}`);
    return { values: parsed.values, names };
  });
  const log = (m: string) => process.stderr.write(`[instructions] ${m}\n`);
  const rows: string[] = [];
  for (const name of names) {
    const w = WORKLOADS[name]!;
    const perOp = await count(name, w, values['admin-url'], values['service-dir'], log);
    rows.push(`| ${w.label} | ${Math.round(perOp.main).toLocaleString('en-US')} | ${Math.round(perOp.all).toLocaleString('en-US')} |`);
  }
  // The main thread runs the JavaScript; the others are V8's background compilers and garbage
  // collector, libuv's pool: their share moves with when V8 decides to optimise, so compare builds by
  // the main thread's count.
  process.stdout.write(`\n| operation | instructions per operation, main thread | all threads |\n|---|---|---|\n${rows.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`instructions failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
