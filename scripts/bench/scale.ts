// npm run bench -- --scale [--scale-sizes 10k,100k,1m] [--metric-points 10m] [--models 100k]
//   [--scale-samples 20] [--chart <file.svg>] [--scale-explain]
// How cost grows: one scratch server, one experiment grown to each size in turn (cumulative), and at
// each size the same requests through the API, p50 of each. docs/performance.md, "How cost grows".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { UsageError } from '../../src/cli/args';
import { runSearchSql } from '../../src/search/runs-search';
import { BenchClient } from './client';
import { scaleChart } from './scale-chart';
import { METRICS_PER_RUN, PARAMS_PER_RUN, ScaleSeeder, TAGS_PER_RUN } from './scale-seed';
import { startScratchServer } from './server';
import { fmt, summarize } from './stats';
import { type Log, createRun } from './workloads';

export interface ScaleOptions {
  adminUrl: string;
  nodeFlags: string[];
  /** Runs in the experiment at each step, ascending. */
  sizes: number[];
  /** Points in the metric history table at the largest size; a tenth of them in the metric read. */
  metricPoints: number;
  /** Registered models at the largest size (in proportion below it). */
  models: number;
  samples: number;
  chart: string;
  /** EXPLAIN (ANALYZE, BUFFERS) of the search and history statements at each size, on stderr. */
  explain: boolean;
}

/** `10k`, `1.5m`, `100000` → a count. */
export function parseCount(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!m) throw new UsageError(`'${text}' is not a count (like 10k, 1m or 250000)`);
  const n = Number(m[1]) * ({ k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as 'k' | 'm'] ?? 1);
  if (!Number.isSafeInteger(Math.round(n)) || n < 1) throw new UsageError(`'${text}' is not a positive count`);
  return Math.round(n);
}

export const defaultChartPath = () => path.join(os.tmpdir(), `registry-scale-${Date.now()}.svg`);

/** The runs search measured: a metric filter matching 90 % of the runs, ordered by that metric. */
const SEARCH = { filter: 'metrics.m0 > 0.1', order_by: ['metrics.m0 DESC'], max_results: 100 };
/** How deep the deep pages are (or as deep as the result set allows). */
const DEEP = 10_000;
const HISTORY_PAGE = 1000;
/** The page the Python client asks for, used to walk to the deep history page. */
const CLIENT_HISTORY_PAGE = 25_000;
/** Longest a workload is sampled for at one size; at least 3 samples even when that is exceeded. */
const BUDGET_MS = 20_000;

interface Measured {
  p50: number;
  note: string;
}
type Results = Map<Workload, Map<number, Measured>>;

const WORKLOADS = [
  'runs/search, metric filter + order_by, first page of 100',
  'runs/search, the same, deep page of 100',
  'get-history of the big metric, first page of 1,000',
  'get-history of the big metric, deep page of 1,000',
  'get-history of the big metric, middle page of 1,000',
  'registered-models/search, first page of 100',
  "registered-models/search, name LIKE 'x%', first page of 100",
  'log-batch of 1,000 metrics into the big tables',
] as const;
type Workload = (typeof WORKLOADS)[number];
/** The chart's legend. */
const SHORT: Record<Workload, string> = {
  'runs/search, metric filter + order_by, first page of 100': 'runs/search, first page',
  'runs/search, the same, deep page of 100': 'runs/search, page after 10,000',
  'get-history of the big metric, first page of 1,000': 'get-history, first page',
  'get-history of the big metric, deep page of 1,000': 'get-history, page after 10,000',
  'get-history of the big metric, middle page of 1,000': 'get-history, middle page',
  'registered-models/search, first page of 100': 'registered-models/search',
  "registered-models/search, name LIKE 'x%', first page of 100": "registered-models/search, LIKE 'x%'",
  'log-batch of 1,000 metrics into the big tables': 'log-batch of 1,000 metrics',
};

const sizeLabel = (n: number) => (n >= 1e6 && n % 1e5 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 100 === 0 ? `${n / 1e3}k` : String(n));

export async function runScale(o: ScaleOptions, log: Log): Promise<void> {
  const started = Date.now();
  const sizes = [...new Set(o.sizes)].sort((a, b) => a - b);
  const maxSize = sizes[sizes.length - 1]!;
  // The read metric holds a tenth of the history at the largest size; the runs' own metrics the rest.
  const bigPoints = (size: number) => Math.max(HISTORY_PAGE * 3, Math.round(((o.metricPoints / 10) * size) / maxSize));
  const stepsPerMetric = Math.max(1, Math.round((o.metricPoints - bigPoints(maxSize)) / (maxSize * METRICS_PER_RUN)));
  const server = await startScratchServer(o.adminUrl, log, { nodeFlags: o.nodeFlags });
  const api = new BenchClient(server.url, server.token);
  const results: Results = new Map(WORKLOADS.map((w) => [w, new Map<number, Measured>()]));
  const facts = new Map<number, { seedSeconds: number; dbMb: number; historyRows: number; bigPoints: number; models: number }>();
  let seeder: ScaleSeeder | undefined;
  try {
    const { experiment_id: experimentId } = await api.post<{ experiment_id: string }>('experiments/create', { name: `bench-scale-${Date.now()}` });
    const historyRunId = await createRun(api, experimentId);
    seeder = await ScaleSeeder.open(server.databaseUrl, { experimentId, historyRunId }, stepsPerMetric, log);
    log(
      `scale: sizes ${sizes.map(sizeLabel).join(', ')} runs (${PARAMS_PER_RUN} params, ${METRICS_PER_RUN} metrics × ${stepsPerMetric} steps, ${TAGS_PER_RUN} tags each); ` +
        `${bigPoints(maxSize).toLocaleString()} points in the read metric and ${o.models.toLocaleString()} models at the largest size`,
    );
    for (const size of sizes) {
      const t0 = Date.now();
      const models = Math.max(100, Math.round((o.models * size) / maxSize));
      log(`── ${sizeLabel(size)} runs: seeding`);
      await seeder.runsUpTo(size);
      await seeder.historyUpTo(bigPoints(size));
      await seeder.modelsUpTo(models);
      log('vacuuming, analyzing and checkpointing after the load');
      await seeder.settle();
      const seedSeconds = (Date.now() - t0) / 1000;
      facts.set(size, { seedSeconds, dbMb: await seeder.databaseSizeMb(), historyRows: await seeder.historyRows(), bigPoints: bigPoints(size), models });
      log(`── ${sizeLabel(size)} runs: seeded in ${seedSeconds.toFixed(0)} s; measuring`);
      await measureSize(api, { experimentId, historyRunId, size, points: bigPoints(size), models, samples: o.samples }, results, log);
      if (o.explain) await explain(server.databaseUrl, experimentId, historyRunId, bigPoints(size), log);
    }
  } finally {
    await seeder?.close();
    await api.close();
    await server.stop();
    printScaleTable(sizes, results, facts, (Date.now() - started) / 1000);
    const measured = [...results].filter(([, bySize]) => bySize.size > 0);
    if (measured.length > 0) {
      const svg = scaleChart(
        `Latency against size (p50, ${os.cpus().length} cores, PostgreSQL local)`,
        measured.map(([name, bySize]) => ({ name: SHORT[name], points: [...bySize].map(([size, m]) => [size, Math.max(0.01, m.p50)] as [number, number]) })),
      );
      fs.mkdirSync(path.dirname(path.resolve(o.chart)), { recursive: true });
      fs.writeFileSync(o.chart, svg);
      process.stdout.write(`chart: ${path.resolve(o.chart)}\n`);
    }
  }
}

interface SizeContext {
  experimentId: string;
  historyRunId: string;
  size: number;
  /** Points in the big metric. */
  points: number;
  /** Registered models. */
  models: number;
  samples: number;
}

/** How many of models 1..n ScaleSeeder names `x-model-…` (those with n % 26 = 23). */
const modelsStartingWithX = (n: number) => (n < 23 ? 0 : Math.floor((n - 23) / 26) + 1);

/** p50 of `fn` over `n` calls after two untimed ones, or over as many as fit in BUDGET_MS (at least 3). */
async function p50(label: string, n: number, fn: (i: number) => Promise<void>, log: Log): Promise<number> {
  for (let k = 0; k < 2; k++) await fn(n + k);
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n && (i < 3 || performance.now() - start < BUDGET_MS); i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  const s = summarize(samples);
  log(`  ${label}: p50 ${fmt(s.p50, 2)} ms, p95 ${fmt(s.p95, 2)} ms (${s.count} samples)`);
  return s.p50;
}

/** Follows next_page_token with pages of `step` up to `depth` results in; the token there and its offset. */
async function tokenAt(fetchPage: (maxResults: number, token?: string) => Promise<string | undefined>, depth: number, step: number): Promise<{ token?: string; offset: number }> {
  let token: string | undefined;
  let offset = 0;
  while (offset + step <= depth) {
    const next = await fetchPage(step, token);
    if (!next) break;
    token = next;
    offset += step;
  }
  return { token, offset };
}

async function measureSize(api: BenchClient, c: SizeContext, results: Results, log: Log): Promise<void> {
  const put = (w: Workload, p50ms: number, note = '') => results.get(w)!.set(c.size, { p50: p50ms, note });
  const search = (body: Record<string, unknown>) => api.post<{ runs?: unknown[]; next_page_token?: string }>('runs/search', { experiment_ids: [c.experimentId], ...SEARCH, ...body });

  put(
    'runs/search, metric filter + order_by, first page of 100',
    await p50(
      'runs/search first page',
      c.samples,
      async () => {
        const r = await search({});
        if (r.runs?.length !== 100) throw new Error(`search returned ${r.runs?.length ?? 0} runs, expected 100`);
      },
      log,
    ),
  );
  // Walk with pages of 1,000 (fewer requests), then time the page of 100 at that offset.
  const deepSearch = await tokenAt(async (max, token) => (await search({ max_results: max, ...(token ? { page_token: token } : {}) })).next_page_token, DEEP, 1000);
  if (deepSearch.token) {
    put(
      'runs/search, the same, deep page of 100',
      await p50(
        `runs/search page after ${deepSearch.offset.toLocaleString()}`,
        c.samples,
        async () => {
          const r = await search({ page_token: deepSearch.token });
          if (!r.runs?.length) throw new Error('the deep search page is empty');
        },
        log,
      ),
      `after ${deepSearch.offset.toLocaleString()}`,
    );
  }

  const history = (max: number, token?: string) =>
    api.get<{ metrics?: unknown[]; next_page_token?: string }>('metrics/get-history', {
      run_id: c.historyRunId,
      metric_key: 'loss',
      max_results: String(max),
      ...(token ? { page_token: token } : {}),
    });
  const historyPage = (label: string, w: Workload, token: string | undefined, note: string) =>
    p50(
      label,
      c.samples,
      async () => {
        const r = await history(HISTORY_PAGE, token);
        if (r.metrics?.length !== HISTORY_PAGE) throw new Error(`get-history returned ${r.metrics?.length ?? 0} points, expected ${HISTORY_PAGE}`);
      },
      log,
    ).then((v) => put(w, v, note));
  await historyPage(`get-history first page of ${c.points.toLocaleString()} points`, 'get-history of the big metric, first page of 1,000', undefined, '');
  const walk = async (depth: number) =>
    tokenAt(async (max, token) => (await history(max, token)).next_page_token, depth, Math.min(CLIENT_HISTORY_PAGE, Math.max(HISTORY_PAGE, Math.floor(depth / 10))));
  const deepHistory = await walk(Math.min(DEEP, c.points - HISTORY_PAGE));
  if (deepHistory.token)
    await historyPage(
      `get-history page after ${deepHistory.offset.toLocaleString()}`,
      'get-history of the big metric, deep page of 1,000',
      deepHistory.token,
      `after ${deepHistory.offset.toLocaleString()}`,
    );
  const middle = await walk(Math.floor(c.points / 2));
  if (middle.token)
    await historyPage(
      `get-history page after ${middle.offset.toLocaleString()}`,
      'get-history of the big metric, middle page of 1,000',
      middle.token,
      `after ${middle.offset.toLocaleString()}`,
    );

  const models = (expected: number, filter?: string) =>
    api.get<{ registered_models?: unknown[] }>('registered-models/search', { max_results: '100', ...(filter ? { filter } : {}) }).then((r) => {
      if (r.registered_models?.length !== expected) throw new Error(`registered-models/search returned ${r.registered_models?.length ?? 0} models, expected ${expected}`);
    });
  put('registered-models/search, first page of 100', await p50('registered-models/search first page', c.samples, () => models(Math.min(100, c.models)), log));
  const xModels = modelsStartingWithX(c.models);
  put(
    "registered-models/search, name LIKE 'x%', first page of 100",
    await p50(`registered-models/search name LIKE 'x%' (${xModels} match)`, c.samples, () => models(Math.min(100, xModels), "name LIKE 'x%'"), log),
    `${xModels.toLocaleString()} match`,
  );

  const runId = await createRun(api, c.experimentId);
  const batch = (i: number) =>
    JSON.stringify({
      run_id: runId,
      metrics: Array.from({ length: 1000 }, (_, j) => ({ key: `m${j % 10}`, value: Math.random(), timestamp: 1_700_000_000_000 + i, step: i * 100 + Math.floor(j / 10) })),
    });
  const bodies = Array.from({ length: c.samples + 2 }, (_, i) => batch(i));
  put('log-batch of 1,000 metrics into the big tables', await p50('log-batch of 1,000 metrics', c.samples, (i) => api.postJson('runs/log-batch', bodies[i]!).then(() => undefined), log));
}

/** The plans of the measured statements, as the service sends them (runs search) or as its repository writes them (history). */
async function explain(databaseUrl: string, experimentId: string, historyRunId: string, points: number, log: Log): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const show = async (label: string, text: string, values: unknown[]) => {
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
      log(`EXPLAIN ${label}:\n${rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}`);
    };
    const query = { experimentIds: [experimentId], filter: SEARCH.filter, orderBy: SEARCH.order_by, maxResults: SEARCH.max_results, runViewType: 'ACTIVE_ONLY' as const };
    for (const offset of [0, DEEP]) {
      const sql = runSearchSql(query, { kind: 'all' }, offset);
      await show(`runs/search at offset ${offset}`, sql.text, sql.values);
    }
    // As RunsRepository.metricHistory writes it.
    for (const offset of [0, Math.floor(points / 2)]) {
      await show(
        `get-history at offset ${offset}`,
        'SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_id = $1 AND key = $2 ORDER BY timestamp, step, value LIMIT $3 OFFSET $4',
        [historyRunId, 'loss', HISTORY_PAGE + 1, offset],
      );
    }
  } finally {
    await db.end();
  }
}

function printScaleTable(
  sizes: number[],
  results: Results,
  facts: Map<number, { seedSeconds: number; dbMb: number; historyRows: number; bigPoints: number; models: number }>,
  seconds: number,
): void {
  const header = ['workload (p50)', ...sizes.map((s) => `${sizeLabel(s)} runs`)];
  const cell = (m: Measured | undefined) => (m ? `${fmt(m.p50, m.p50 < 10 ? 2 : 1)} ms` : 'n/a');
  const fact = (f: (x: NonNullable<ReturnType<typeof facts.get>>) => string) => sizes.map((s) => (facts.has(s) ? f(facts.get(s)!) : 'n/a'));
  const rows: string[][] = [
    header,
    ...[...results].map(([name, bySize]) => [name, ...sizes.map((s) => cell(bySize.get(s)))]),
    ['database size (pg_database_size)', ...fact((x) => `${fmt(x.dbMb, 0)} MB`)],
    ['points in the metrics (history) table, estimated', ...fact((x) => x.historyRows.toLocaleString())],
    ['points in the big metric', ...fact((x) => x.bigPoints.toLocaleString())],
    ['registered models', ...fact((x) => x.models.toLocaleString())],
    ['seeding this step (cumulative load)', ...fact((x) => `${fmt(x.seedSeconds, 0)} s`)],
  ];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out = [line(rows[0]!), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.slice(1).map(line)];
  const notes = [...results].flatMap(([name, bySize]) => {
    const n = [...bySize].filter(([, m]) => m.note).map(([s, m]) => `${sizeLabel(s)}: ${m.note}`);
    return n.length ? [`${name}: ${n.join(', ')}`] : [];
  });
  process.stdout.write(
    `\n${out.join('\n')}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n\n${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB; whole --scale run ${fmt(seconds / 60, 1)} min\n`,
  );
}
