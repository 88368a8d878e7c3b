// npm run bench [-- --quick] [--node-flags "<options for the service's node>"]
//   [--url http://host:port --token <jwt> [--database-url <url>]]
// Measures the workloads of issue 6 against a running server (or one it starts on a scratch
// database of the local PostgreSQL) and prints one table with latency percentiles, throughput,
// the MLflow reference figures, our targets, and the physical references of this machine.
import { parseArgs } from 'node:util';
import { BenchClient } from './client';
import { peakRssMb, startScratchServer } from './server';
import { type Row, printTable } from './table';
import * as w from './workloads';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'node-flags': { type: 'string', default: '' },
      url: { type: 'string' },
      token: { type: 'string' },
      'database-url': { type: 'string' },
      'admin-url': { type: 'string', default: process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
    },
  });
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const quick = values.quick;
  const server = values.url
    ? undefined
    : await startScratchServer(values['admin-url'], log, { nodeFlags: values['node-flags'].split(' ').filter(Boolean) });
  const url = values.url ?? server!.url;
  const token = values.token ?? server?.token;
  if (!token) throw new Error('--url needs --token (an admin token for that server)');
  const databaseUrl = values['database-url'] ?? server?.databaseUrl;
  const api = new BenchClient(url, token);
  const scale = quick ? 0.1 : 1;
  const rows: Row[] = [];
  const started = Date.now();
  try {
    const ctx = await w.setup(api, log);
    rows.push(await w.logBatch1000(api, ctx, Math.max(10, Math.round(200 * scale)), log));
    rows.push(await w.runLifecycle(api, ctx, Math.max(20, Math.round(500 * scale)), log));
    rows.push(await w.concurrentLogMetric(api, ctx, quick ? 3 : 10, log));
    rows.push(await w.getHistory2000(api, ctx, Math.max(10, Math.round(100 * scale)), log));
    rows.push(await w.searchRuns200(api, ctx, Math.max(20, Math.round(200 * scale)), databaseUrl, log));
    rows.push(
      databaseUrl
        ? await w.searchRuns100k(api, ctx, databaseUrl, quick ? 10_000 : 100_000, Math.max(10, Math.round(100 * scale)), log)
        : w.skipped('search-runs over 100,000 runs (1 % match), p50', 'needs --database-url to seed the runs'),
    );
    rows.push(...(await w.artifacts50mb(api, ctx, quick ? 2 : 10, server?.dataDir, log)));
    rows.push(await w.concurrentGetModel(api, quick ? 3 : 10, log));
    if (databaseUrl) rows.push(await w.getCeilingReference(databaseUrl, quick ? 3 : 10, log));
    if (databaseUrl) rows.push(await w.rawInsertReference(databaseUrl, Math.max(5, Math.round(50 * scale)), log));
  } finally {
    await api.close();
    const rss = server ? peakRssMb(server.pid) : undefined;
    printTable(rows, { url, quick, seconds: (Date.now() - started) / 1000, peakRssMb: rss, nodeFlags: server ? values['node-flags'] : undefined });
    if (server) await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
