// npm run bench:web -- [--runs 10000] [--params 10] [--metrics 10] [--chart-runs 10] [--points 100000] [--repeat 3] [--admin-url <url>]
// The web UI in a real headless browser (Debian's Chromium through playwright-core) against the built
// service on a scratch database, beside the raw API time of the same requests. A benchmark, not a
// test: it prints a markdown table and asserts no timing. `npm run bench:web` builds the service and
// the UI first (`tsc -p tsconfig.build.json`, `npm run build:web`).
//
// Seeds, through the public API: an experiment of --runs runs with --params params and --metrics
// metrics each (runs/create + runs/log-batch), and an experiment of --chart-runs runs with one metric
// of --points points each (log-batch of 1,000 points per call). Then, signed in through the printed
// `#token=` address, it measures:
//   (a) the runs table: from navigation to the first rows in the DOM (performance.now() of the page,
//       sampled every animation frame);
//   (b) scrolling the virtualised table to its end, a viewport at a time, waiting at each step for the
//       rows of the new position; every run must be reached exactly once (distinct run ids, one per
//       row index, none missing against the API's list);
//   (c) the compare page of the --chart-runs runs: from navigation until the chart's canvas is drawn
//       (uPlot draws in a microtask after the LineChart's effect; the frame after the canvas appears
//       has it drawn); (d) the same for the run page of one of them.
// The API column replays, with BenchClient, the requests the page made during that measurement (its
// requests are recorded): the ones the rows or the chart wait for, in the order they depend on each other.
import { performance } from 'node:perf_hooks';
import { type Browser, type Page, type Request, chromium } from 'playwright-core';
import { parseCommandLine, UsageError, withUsage } from '../../src/cli/args';
import { findChromium } from '../../test/e2e/browser';
import { BenchClient } from './client';
import { startScratchServer } from './server';

interface Options {
  runs: number;
  params: number;
  metrics: number;
  chartRuns: number;
  points: number;
  repeat: number;
  concurrency: number;
  adminUrl: string;
}

const log = (m: string) => process.stderr.write(`[bench:web] ${m}\n`);

/** Runs `fn(0..count-1)` with at most `width` at a time. */
async function pool(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      for (let i = next++; i < count; i = next++) await fn(i);
    }),
  );
}

const newExperiment = async (api: BenchClient, name: string) => (await api.post<{ experiment_id: string }>('experiments/create', { name })).experiment_id;

async function newRun(api: BenchClient, experimentId: string, name: string, startTime: number): Promise<string> {
  const res = await api.post<{ run: { info: { run_id: string } } }>('runs/create', { experiment_id: experimentId, run_name: name, start_time: startTime });
  return res.run.info.run_id;
}

async function seedTable(api: BenchClient, o: Options): Promise<string> {
  const experimentId = await newExperiment(api, `web-ui-bench-table-${Date.now()}`);
  const t0 = performance.now();
  const base = Date.now() - o.runs * 1000;
  let done = 0;
  await pool(o.runs, o.concurrency, async (i) => {
    const runId = await newRun(api, experimentId, `run-${String(i).padStart(5, '0')}`, base + i * 1000);
    await api.post('runs/log-batch', {
      run_id: runId,
      params: Array.from({ length: o.params }, (_, k) => ({ key: `p${k}`, value: String((i * 7 + k) % 97) })),
      metrics: Array.from({ length: o.metrics }, (_, k) => ({ key: `m${k}`, value: Math.sin(i + k) + 1, timestamp: base + i * 1000, step: 0 })),
    });
    if (++done % 1000 === 0 || done === o.runs) log(`table: ${done}/${o.runs} runs (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  });
  return experimentId;
}

async function seedChart(api: BenchClient, o: Options): Promise<string[]> {
  const experimentId = await newExperiment(api, `web-ui-bench-chart-${Date.now()}`);
  const base = Date.now() - o.points * 10;
  const runIds: string[] = [];
  for (let r = 0; r < o.chartRuns; r++) runIds.push(await newRun(api, experimentId, `curve-${r}`, base));
  const perCall = 1000;
  const calls = Math.ceil(o.points / perCall);
  const t0 = performance.now();
  let done = 0;
  await pool(o.chartRuns * calls, o.concurrency, async (j) => {
    const runId = runIds[Math.floor(j / calls)]!;
    const r = Math.floor(j / calls);
    const from = (j % calls) * perCall;
    const metrics = Array.from({ length: Math.min(perCall, o.points - from) }, (_, k) => {
      const step = from + k;
      return { key: 'loss', value: (1 + r / 10) / (1 + step / 1000) + 0.02 * Math.sin(step / 50), timestamp: base + step * 10, step };
    });
    await api.post('runs/log-batch', { run_id: runId, metrics });
    if (++done % 100 === 0 || done === o.chartRuns * calls) log(`chart: ${done * perCall}/${o.chartRuns * o.points} points (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  });
  return runIds;
}

interface Recorded {
  method: string;
  path: string;
  body: unknown;
}

/** The API requests the page makes while `fn` runs. */
async function recording<T>(page: Page, fn: () => Promise<T>): Promise<{ result: T; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const on = (r: Request) => {
    const url = new URL(r.url());
    if (!/^\/(ajax-)?api\//.test(url.pathname)) return;
    const data = r.postData();
    requests.push({ method: r.method(), path: url.pathname + url.search, body: data ? (JSON.parse(data) as unknown) : undefined });
  };
  page.on('request', on);
  try {
    return { result: await fn(), requests };
  } finally {
    page.off('request', on);
  }
}

/** Milliseconds (the page's performance.now(), from its navigation) at the first animation frame where `condition` (JS source) holds. */
async function navigateUntil(page: Page, url: string, condition: string): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  const handle = await page.waitForFunction(`(${condition}) ? performance.now() : false`, undefined, { polling: 'raf', timeout: 120_000 });
  return Number(await handle.jsonValue());
}

/** Timed replay with BenchClient: the groups one after the other, the requests of a group at once. */
async function replay(api: BenchClient, groups: Recorded[][]): Promise<{ total: number; groups: number[] }> {
  const times: number[] = [];
  for (const group of groups) {
    const t0 = performance.now();
    await Promise.all(group.map((r) => api.call(r.method, r.path, r.body)));
    times.push(performance.now() - t0);
  }
  return { total: times.reduce((a, b) => a + b, 0), groups: times };
}

const isPath = (r: Recorded, suffix: string) => r.path.split('?')[0]!.endsWith(suffix);

// In-page code is passed as source text: the scripts' tsconfig has no DOM types, and it runs in the page.
const FIRST_ROWS = `document.querySelector('[role=table][aria-label=Runs] [data-run-id]')`;
const chartDrawn = (points: number) =>
  `(() => { const c = document.querySelector('.chart[data-metric=loss]'); return !!c && !!c.querySelector('canvas') && Number(c.getAttribute('data-points')) >= ${points}; })()`;

interface ScrollResult {
  ms: number;
  steps: number;
  longestStepMs: number;
  /** Steps that did not wait for a next page: from setting scrollTop to the rows of the new position in the DOM. */
  stepMs: number[];
  pageWaits: number;
  ids: string[];
  rowIndexConflicts: number;
  missingRowIndexes: number;
  rowsInTable: number;
}

/** Scrolls the runs table a viewport at a time to its end, collecting every row it renders. */
const SCROLL_TO_END = `async (expected, limitMs) => {
  const el = document.querySelector('[role=table][aria-label=Runs]');
  const foot = () => document.querySelector('.table-foot')?.textContent ?? '';
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(undefined)));
  const ROW = 32;
  const byIndex = new Map();
  const byId = new Map();
  let conflicts = 0;
  const collect = () => {
    for (const row of el.querySelectorAll('[data-run-id]')) {
      const id = row.getAttribute('data-run-id');
      const index = Number(row.getAttribute('aria-rowindex'));
      if (byIndex.has(index) && byIndex.get(index) !== id) conflicts++;
      if (byId.has(id) && byId.get(id) !== index) conflicts++;
      byIndex.set(index, id);
      byId.set(id, index);
    }
  };
  const rendered = (index) => !!el.querySelector('[aria-rowindex="' + (index + 2) + '"]');
  const t0 = performance.now();
  let steps = 0, longest = 0, pageWaits = 0;
  const stepMs = [];
  for (;;) {
    if (performance.now() - t0 > limitMs) throw new Error('scrolling took longer than ' + limitMs + ' ms; reached ' + byId.size + ' runs');
    collect();
    const max = el.scrollHeight - el.clientHeight;
    const before = el.scrollTop;
    if (before >= max - 1) {
      if (foot().includes('(all)')) break;
      pageWaits++;
      while (el.scrollHeight - el.clientHeight <= before + 1 && !foot().includes('(all)')) {
        await frame();
        if (performance.now() - t0 > limitMs) break;
      }
      continue;
    }
    const s0 = performance.now();
    el.scrollTop = Math.min(max, before + el.clientHeight - 2 * ROW);
    const rows = Number(el.getAttribute('aria-rowcount')) - 1;
    const first = Math.min(rows - 1, Math.floor(el.scrollTop / ROW));
    const last = Math.min(rows - 1, Math.floor((el.scrollTop + el.clientHeight) / ROW) - 1);
    do await frame(); while (!(rendered(first) && rendered(last)) && performance.now() - t0 < limitMs);
    longest = Math.max(longest, performance.now() - s0);
    stepMs.push(performance.now() - s0);
    steps++;
  }
  collect();
  let missing = 0;
  for (let i = 0; i < expected; i++) if (!byIndex.has(i + 2)) missing++;
  return { ms: performance.now() - t0, steps, longestStepMs: longest, stepMs, pageWaits, ids: [...byId.keys()], rowIndexConflicts: conflicts, missingRowIndexes: missing, rowsInTable: Number(el.getAttribute('aria-rowcount')) - 1 };
}`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;
const spread = (xs: number[]) => (xs.length > 1 ? `${ms(median(xs))} (${xs.map((x) => Math.round(x)).join(', ')})` : ms(xs[0]!));

async function main(): Promise<void> {
  const usage = 'usage: npm run bench:web -- [--runs 10000] [--params 10] [--metrics 10] [--chart-runs 10] [--points 100000] [--repeat 3] [--concurrency 8] [--admin-url <postgres url>]';
  const o = withUsage(usage, (): Options | 'help' => {
    const parsed = parseCommandLine(process.argv.slice(2), {
      runs: { type: 'string', default: '10000' },
      params: { type: 'string', default: '10' },
      metrics: { type: 'string', default: '10' },
      'chart-runs': { type: 'string', default: '10' },
      points: { type: 'string', default: '100000' },
      repeat: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '8' },
      'admin-url': { type: 'string', default: process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
    });
    if (parsed === 'help') return parsed;
    const v = parsed.values;
    const int = (name: string, value: string, min: number) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, not ${value}`);
      return n;
    };
    return {
      runs: int('runs', v.runs, 1),
      params: int('params', v.params, 0),
      metrics: int('metrics', v.metrics, 0),
      chartRuns: int('chart-runs', v['chart-runs'], 2),
      points: int('points', v.points, 1),
      repeat: int('repeat', v.repeat, 1),
      concurrency: int('concurrency', v.concurrency, 1),
      adminUrl: v['admin-url'],
    };
  });

  const server = await startScratchServer(o.adminUrl, log);
  const api = new BenchClient(server.url, server.token);
  // Launched inside the try: a missing Chromium must still stop the service it started.
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
    log(`seeding ${o.runs} runs × ${o.params} params × ${o.metrics} metrics`);
    const tableExperiment = await seedTable(api, o);
    log(`seeding ${o.chartRuns} runs × ${o.points} points of one metric`);
    const chartRuns = await seedChart(api, o);

    // bypassCSP: the in-page probes are source text, which the UI's CSP (no 'unsafe-eval') refuses to evaluate.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${server.url}/#token=${server.token}`);
    await page.getByTestId('user-sub').waitFor();
    const runsUrl = `${server.url}/experiments/${encodeURIComponent(tableExperiment)}`;
    const compareUrl = `${server.url}/compare?runs=${chartRuns.map(encodeURIComponent).join(',')}`;
    const runUrl = `${server.url}/runs/${encodeURIComponent(chartRuns[0]!)}`;

    // (a) first rows; the API: the first runs/search page the rows wait for.
    const firstRows: number[] = [];
    const firstRowsApi: number[] = [];
    for (let i = 0; i < o.repeat; i++) {
      const { result, requests } = await recording(page, () => navigateUntil(page, runsUrl, FIRST_ROWS));
      firstRows.push(result);
      const search = requests.filter((r) => isPath(r, '/runs/search'));
      if (search.length === 0) throw new Error('the runs page made no runs/search request');
      firstRowsApi.push((await replay(api, [[search[0]!]])).total);
      log(`(a) first rows: ${ms(result)} in the browser, ${ms(firstRowsApi.at(-1)!)} for the API`);
    }

    // (b) scroll to the end, from a fresh navigation; the API: every runs/search page the table asked
    // for (the first with the navigation), one after the other as the table asks for them.
    const { result: scroll, requests: scrollRequests } = await recording(page, async () => {
      await navigateUntil(page, runsUrl, FIRST_ROWS);
      return page.evaluate<ScrollResult>(`(${SCROLL_TO_END})(${o.runs}, 600000)`);
    });
    const pages = scrollRequests.filter((r) => isPath(r, '/runs/search'));
    const allApiIds = new Set<string>();
    const t0 = performance.now();
    for (const r of pages) {
      const res = await api.call<{ runs?: { info: { run_id: string } }[] }>(r.method, r.path, r.body);
      for (const run of res.runs ?? []) allApiIds.add(run.info.run_id);
    }
    const scrollApi = performance.now() - t0;
    const seen = new Set(scroll.ids);
    const missingVsApi = [...allApiIds].filter((id) => !seen.has(id)).length;
    const exactlyOnce = scroll.ids.length === o.runs && scroll.rowIndexConflicts === 0 && scroll.missingRowIndexes === 0 && missingVsApi === 0 && allApiIds.size === o.runs;
    log(
      `(b) scroll: ${ms(scroll.ms)}, ${scroll.steps} steps, ${scroll.pageWaits} waits for a page, ${scroll.ids.length} distinct runs, ` +
        `${scroll.rowIndexConflicts} conflicts, ${scroll.missingRowIndexes} missing indexes, ${missingVsApi} missing against the API; API ${ms(scrollApi)} for ${pages.length} pages`,
    );

    // (c) compare page chart, (d) run page chart; the API: runs/get (at once), then the history request(s).
    const chartRow = async (url: string, points: number) => {
      const ui: number[] = [];
      const raw: number[] = [];
      const historyApi: number[] = [];
      let drawnPoints = 0;
      for (let i = 0; i < o.repeat; i++) {
        const { result, requests } = await recording(page, () => navigateUntil(page, url, chartDrawn(1)));
        drawnPoints = Number(await page.locator('.chart[data-metric=loss]').first().getAttribute('data-points'));
        ui.push(result);
        const gets = requests.filter((r) => isPath(r, '/runs/get'));
        const history = requests.filter((r) => isPath(r, '/get-history-bulk-interval') || isPath(r, '/metrics/get-history'));
        if (history.length === 0) throw new Error(`${url}: no history request`);
        const r = await replay(api, [gets, history]);
        raw.push(r.total);
        historyApi.push(r.groups[1]!);
        log(`chart ${url.replace(server.url, '')}: ${ms(result)} in the browser (${drawnPoints} of ${points} points drawn), ${ms(raw.at(-1)!)} for the API`);
      }
      return { ui, raw, historyApi, drawnPoints };
    };
    const compare = await chartRow(compareUrl, o.chartRuns * o.points);
    const single = await chartRow(runUrl, o.points);
    await context.close();

    const rows = [
      `| (a) runs table, ${o.runs.toLocaleString('en-US')} runs × ${o.params} params × ${o.metrics} metrics: navigation → first rows visible | ${spread(firstRows)} | ${spread(firstRowsApi)} | first runs/search page (500 runs) |`,
      `| (b) scroll the table to the end (${scroll.steps} viewport steps, ${scroll.pageWaits} waits for a next page) | ${ms(scroll.ms)}; per step median ${ms(median(scroll.stepMs))}, p95 ${ms(percentile(scroll.stepMs, 0.95))}, longest ${ms(scroll.longestStepMs)} | ${ms(scrollApi)} | ${pages.length} runs/search pages of 500 one after the other; ${scroll.ids.length.toLocaleString('en-US')} distinct runs seen of ${o.runs.toLocaleString('en-US')}, ${scroll.rowIndexConflicts} duplicates, ${scroll.missingRowIndexes + missingVsApi} dropped: ${exactlyOnce ? 'every run exactly once' : 'NOT every run exactly once'} |`,
      `| (c) compare ${o.chartRuns} runs × ${o.points.toLocaleString('en-US')} points: navigation → chart drawn | ${spread(compare.ui)} | ${spread(compare.raw)} | ${o.chartRuns} runs/get at once, then 1 get-history-bulk-interval (median ${ms(median(compare.historyApi))} of the API time); ${compare.drawnPoints.toLocaleString('en-US')} points drawn (down-sampled by the server) |`,
      `| (d) run page, 1 run × ${o.points.toLocaleString('en-US')} points: navigation → chart drawn | ${spread(single.ui)} | ${spread(single.raw)} | runs/get, then get-history-bulk-interval (median ${ms(median(single.historyApi))} of the API time); ${single.drawnPoints.toLocaleString('en-US')} points drawn |`,
    ];
    process.stdout.write(`\n| measurement | in the browser (median of ${o.repeat}) | raw API, same requests (BenchClient) | notes |\n|---|---|---|---|\n${rows.join('\n')}\n`);
  } finally {
    await browser?.close();
    await api.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:web failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
