// npm run bench [-- --quick] [--node-flags "<options for the service's node>"]
//   [--url http://host:port --token <jwt> [--database-url <url>]]
//   [--compare-url <MLflow server> [--compare-token <jwt>] [--compare-pid <pid>]]
// Runs every workload against our server (or one it starts on a scratch database of the local
// PostgreSQL) and, with --compare-url, against the reference server right after it, row by row in
// the same run; prints both columns, the ratio, our targets and the physical references of this
// machine. docs/performance.md says how to start MLflow's own server as the reference. With
// BENCH_COMPARE_JWT_SECRET in the environment the reference is taken to be another instance of
// ours, and the rows that mint non-admin tokens run on it too (a check that ratios come out ~1).
import { parseCommandLine, withUsage } from '../../src/cli/args';
import { BenchClient } from './client';
import * as reg from './registry';
import * as ref from './references';
import { defaultChartPath, parseCount, runScale } from './scale';
import { runScaleOut } from './scale-out';
import { type BenchServer, defaultNodeFlags, peakRssMb, startScratchServer } from './server';
import { waitForQuiet } from './stats';
import { type Figure, type Row, comparedRow, floorRow, printTable, referenceRow } from './table';
import * as w from './workloads';

const NOT_MEASURED = 'not measured';
const OWN_SCHEMA = 'not measured: seeds our schema straight into PostgreSQL';
const NEEDS_SECRET = 'needs the server’s JWT secret to mint a non-admin token: run on the scratch server (no --url)';
const NEEDS_SCRATCH = 'needs a second scratch server with REGISTERED_MODEL_CACHE_SIZE=0 (no --url)';

// --url: measure a running server instead of a scratch one; --compare-*: a second server to compare with.
const USAGE =
  'usage: npm run bench -- [--quick] [--node-flags <flags>] [--url <url>] [--token <token>] [--database-url <url>] [--admin-url <url>] [--compare-url <url>] [--compare-token <token>] [--compare-pid <pid>]\n' +
  '       npm run bench -- --scale-out [--quick] [--node-flags <flags>]\n' +
  '       npm run bench -- --scale [--scale-sizes 10k,100k,1m] [--metric-points 10m] [--models 100k] [--scale-samples 20] [--chart <file.svg>] [--scale-explain]';

async function main(): Promise<void> {
  const { values } = withUsage(USAGE, () =>
    parseCommandLine(process.argv.slice(2), {
      quick: { type: 'boolean', default: false },
      // The service's node options; by default those of `npm run start:prod` (defaultNodeFlags).
      'node-flags': { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      'database-url': { type: 'string' },
      'admin-url': { type: 'string', default: process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
      'compare-url': { type: 'string' },
      'compare-token': { type: 'string' },
      'compare-pid': { type: 'string' },
      // --scale: how cost grows with size instead of the rows below (scripts/bench/scale.ts).
      scale: { type: 'boolean', default: false },
      'scale-sizes': { type: 'string', default: '10k,100k,1m' },
      'metric-points': { type: 'string', default: '10m' },
      models: { type: 'string', default: '100k' },
      'scale-samples': { type: 'string', default: '20' },
      chart: { type: 'string' },
      'scale-explain': { type: 'boolean', default: false },
      // --scale-out: two processes behind haproxy on one database (scripts/bench/scale-out.ts).
      'scale-out': { type: 'boolean', default: false },
    }),
  );
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const nodeFlags = values['node-flags'] === undefined ? defaultNodeFlags() : values['node-flags'].split(' ').filter(Boolean);
  if (values.scale) {
    const options = withUsage(USAGE, () => ({
      adminUrl: values['admin-url'],
      nodeFlags,
      sizes: values['scale-sizes'].split(',').map(parseCount),
      metricPoints: parseCount(values['metric-points']),
      models: parseCount(values.models),
      samples: parseCount(values['scale-samples']),
      chart: values.chart ?? defaultChartPath(),
      explain: values['scale-explain'],
    }));
    return runScale(options, log);
  }
  if (values['scale-out']) {
    const q = values.quick;
    return runScaleOut({ adminUrl: values['admin-url'], nodeFlags, seconds: q ? 3 : 10, rounds: q ? 1 : 3, writes: q ? 20 : 50, models: q ? 10 : 50 }, log);
  }
  const quick = values.quick;
  const servers: BenchServer[] = [];
  const scratch = async (env?: Record<string, string>) => {
    const s = await startScratchServer(values['admin-url'], log, { nodeFlags, env });
    servers.push(s);
    return s;
  };
  const rows: Row[] = [];
  const started = Date.now();
  let server: BenchServer | undefined;
  let plumbing: Awaited<ReturnType<typeof ref.startPlumbing>> | undefined;
  const clients: BenchClient[] = [];
  const client = (url: string, token: string) => {
    const c = new BenchClient(url, token);
    clients.push(c);
    return c;
  };
  const url = values.url ?? '';
  try {
    server = values.url ? undefined : await scratch();
    const token = values.token ?? server?.token;
    if (!token) throw new Error('--url needs --token (an admin token for that server)');
    const ours = await w.setup(client(values.url ?? server!.url, token), log, {
      databaseUrl: values['database-url'] ?? server?.databaseUrl,
      dataDir: server?.dataDir,
      secret: server?.secret,
      metricsToken: server?.metricsToken,
    });
    const cacheOffServer = server ? await scratch({ REGISTERED_MODEL_CACHE_SIZE: '0' }) : undefined;
    const cacheOff = cacheOffServer
      ? await w.setup(client(cacheOffServer.url, cacheOffServer.token), log, { databaseUrl: cacheOffServer.databaseUrl, secret: cacheOffServer.secret })
      : undefined;
    const compareUrl = values['compare-url']?.replace(/\/$/, '');
    const reference = compareUrl ? await w.setup(client(compareUrl, values['compare-token'] ?? ''), log, { secret: process.env.BENCH_COMPARE_JWT_SECRET }) : undefined;

    /** Measures on the reference right after ours; a failure there is a reason, not the end of the run. */
    const onReference = async <T>(fn: (t: w.Target) => Promise<T>): Promise<T | string> => {
      if (!reference) return NOT_MEASURED;
      try {
        await waitForQuiet(log);
        return await fn(reference);
      } catch (err) {
        log(`reference failed: ${err instanceof Error ? err.message : String(err)}`);
        return `not measured: failed (${(err instanceof Error ? err.message : String(err)).slice(0, 60)})`;
      }
    };
    // The tracking rows' floor: the same workload through plain Express + token check + raw SQL.
    plumbing = ours.databaseUrl ? await ref.startPlumbing(ours.databaseUrl, ours.experimentId) : undefined;
    const both = async (workload: string, fn: (t: w.Target) => Promise<Figure | string>, onPlumbing = false) => {
      await waitForQuiet(log);
      const o = await fn(ours);
      const r = await onReference(fn);
      rows.push(comparedRow(workload, o, r));
      if (onPlumbing && plumbing) {
        await waitForQuiet(log);
        // The search floor reads the 200 runs ours made (the same rows); the plumbing creates no experiments.
        plumbing.target.searchExperimentId ??= ours.searchExperimentId;
        const floor = await fn(plumbing.target);
        if (typeof floor !== 'string') rows.push(floorRow('  the same through plain Express + token check + raw SQL', floor, o, r, 'scripts/bench/ceiling-server.ts'));
      }
      return o;
    };
    const seconds = quick ? 3 : 10;
    const scale = (full: number, min: number) => Math.max(min, Math.round(full * (quick ? 0.1 : 1)));

    const logBatchRow = rows.length;
    await both('one log-batch of 1,000 metrics, p50', (t) => w.logBatch1000(t, scale(200, 10), log), true);
    // Measured right after log-batch, on the same database and the same (changing) load; shown with the references.
    const rawInsert = ours.databaseUrl ? await ref.rawInsertReference(ours.databaseUrl, scale(50, 5), log) : undefined;
    await both('create run + log-batch (2 params, 2 metrics, 1 tag) + end, sequential', (t) => w.runLifecycle(t, scale(500, 20), log), true);
    await both('single log-metric from 8 concurrent clients', (t) => w.concurrentLogMetric(t, seconds, log), true);
    const concurrentLogBatches = new Map<number, Figure | string>();
    for (const c of [8, 32]) concurrentLogBatches.set(c, await both(`log-batch of 1,000 metrics from ${c} concurrent clients`, (t) => w.concurrentLogBatch(t, c, seconds, log), true));
    await both('get-history of 2,000 points, p50', (t) => w.getHistory2000(t, scale(100, 10), log), true);
    await both('search-runs, metric filter + order_by, 25 of 200 runs, p50', (t) => w.searchRuns200(t, scale(200, 20), log), true);
    for (const c of [8, 32]) await both(`search-runs, 25 of 200 runs, from ${c} concurrent clients`, (t) => w.concurrentSearch(t, c, seconds, log), true);
    const count = quick ? 10_000 : 100_000;
    const search100k = `search-runs, metric filter over ${count.toLocaleString()} runs (1 % match), p50`;
    rows.push(
      ours.databaseUrl
        ? comparedRow(search100k, await ref.searchRuns100k(ours, ours.databaseUrl, count, scale(100, 10), log), reference ? OWN_SCHEMA : NOT_MEASURED, {
            text: '≤ 30 ms',
            met: (o) => o.value <= 30,
          })
        : comparedRow(search100k, 'needs --database-url to seed the runs', OWN_SCHEMA),
    );

    await waitForQuiet(log);
    const artifacts = await w.artifacts50mb(ours, quick ? 2 : 10, log);
    const refArtifacts = await onReference((t) => w.artifacts50mb(t, quick ? 2 : 10, log));
    for (const [direction, plain] of [
      ['up', artifacts.plainUp],
      ['down', artifacts.plainDown],
    ] as const) {
      rows.push(
        comparedRow(`50 MB artifact ${direction}load through the proxy`, artifacts[direction], typeof refArtifacts === 'string' ? refArtifacts : refArtifacts[direction], {
          text: '≥ 90 % of node:http',
          met: (o) => o.value >= 0.9 * plain,
        }),
      );
    }

    await both('GET registered model, admin token, 50 connections', (t) => reg.adminGetModel(t, seconds, log));
    const models = quick ? 10 : 50;
    const caller = ours.secret ? await reg.nonAdminCaller(ours, models, log) : undefined;
    const callerOff = cacheOff ? await reg.nonAdminCaller(cacheOff, models, log) : undefined;
    const refCaller = await onReference((t) => reg.nonAdminCaller(t, models, log));
    const who = (c: reg.Caller | string) => (typeof c === 'string' ? '' : ` (reference as ${c.note})`);
    const withCaller = async (workload: string, fn: (c: reg.Caller, t: w.Target) => Promise<Figure | string>, cacheOffToo: boolean) => {
      const refFigure = typeof refCaller === 'string' ? refCaller : await onReference((t) => fn(refCaller, t));
      await waitForQuiet(log);
      const on = caller ? await fn(caller, ours) : NEEDS_SECRET;
      rows.push(comparedRow(`${workload}, cache on${who(refCaller)}`, on, refFigure));
      if (!cacheOffToo) return;
      await waitForQuiet(log);
      const off = callerOff && cacheOff ? await fn(callerOff, cacheOff) : NEEDS_SCRATCH;
      rows.push(comparedRow(`${workload}, cache off${who(refCaller)}`, off, refFigure));
    };
    await withCaller('GET registered model, non-admin via group grant, 50 connections', (c) => reg.concurrentGetModel(c.api, c.models[0]!, seconds, log), true);
    await withCaller('search-runs 25 of 200, non-admin via group grant, p50', (c, t) => w.searchRuns200(t, scale(200, 20), log, c.api), true);
    await withCaller('90 % GET / 10 % update of the same models, non-admin, 50 connections', (c) => reg.mixedReadWrite(c, seconds, log), true);
    await withCaller('GET registered model, non-admin, a new token per request, 50 connections', (c, t) => reg.freshTokenGetModel(t, c, seconds, log), false);

    if (ours.databaseUrl) {
      await waitForQuiet(log);
      const ceiling = await ref.getCeilingReference(ours.databaseUrl, seconds, scale(500, 50), log);
      rows.push(
        referenceRow(
          'reference: plain Express + token check + one trivial query, 50 connections',
          ceiling.query,
          `token check alone ${ceiling.authRate.toFixed(0)} req/s; no registry code (scripts/bench/ceiling-server.ts)`,
        ),
        referenceRow('reference: the same request one at a time, p50', ceiling.sequential, 'the least one request of a sequential row costs here'),
      );
      const insert = rawInsert!;
      const lb = /^([\d.]+) ms$/.exec(rows[logBatchRow]!.ours)?.[1];
      rows.push(
        referenceRow(
          'reference: raw INSERT of the same 1,000 metric rows into PostgreSQL',
          insert,
          lb ? `log-batch at ${((insert.value / Number(lb)) * 100).toFixed(0)} % of this rate (target ≥ 90 %)` : 'log-batch not measured',
        ),
      );
      for (const [c, served] of concurrentLogBatches) {
        await waitForQuiet(log);
        const raw = await ref.concurrentRawInsert(ours.databaseUrl, c, seconds, insert.fastest, log);
        const share = typeof served === 'string' ? 'log-batch not measured' : `log-batch from ${c} clients at ${((served.value / raw.value) * 100).toFixed(0)} % of this rate`;
        rows.push(referenceRow(`reference: raw INSERT of 1,000 metric rows from ${c} connections`, raw, share));
      }
    }
  } finally {
    await plumbing?.stop();
    for (const c of clients) await c.close();
    const comparePid = values['compare-pid'] ? Number(values['compare-pid']) : undefined;
    printTable(rows, {
      url: values.url ?? server?.url ?? url,
      compareUrl: values['compare-url'],
      quick,
      seconds: (Date.now() - started) / 1000,
      peakRssMb: server ? peakRssMb(server.pid) : undefined,
      referencePeakRssMb: comparePid ? peakRssMb(comparePid) : undefined,
      referenceRss: values['compare-url'] ? 'n/a (pass --compare-pid <pid> of a local reference server)' : 'n/a (no reference server)',
      nodeFlags: server ? nodeFlags.join(' ') : undefined,
    });
    for (const s of servers) await s.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
