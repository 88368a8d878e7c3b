import { createHash } from 'node:crypto';
import { Prisma } from '@prisma/client';
import { runsByIdsSql } from '../../src/modules/runs/runs.repository';
import { registeredModelSearchSql } from '../../src/search/registry-search';
import { runSearchSql } from '../../src/search/runs-search';
import { INDEXED_VALUE_CHARS } from '../../src/search/sql';
import { startTestApp, type TestApp } from '../helpers/test-app';

// Every search path must use an index at scale (issue 6 §3): 100,000 runs with a metric, a param
// and a tag each, 1,000 registered models with 5 versions each; EXPLAIN must show no sequential
// scan of a large table. The reads that `npm run bench -- --scale` found growing with size (issue
// 19 §4) must also come off an index in their order, with no sort of everything that matches: a
// metric-filtered search ordered by that metric, and get-history of a metric of 100,000 points.
const LARGE = ['runs', 'latest_metrics', 'metrics', 'params', 'run_tags', 'registered_models', 'registered_model_tags', 'model_versions', 'model_version_tags'];
const RUNS = 100_000;
const HISTORY_POINTS = 100_000;
let t: TestApp;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
let exp: string;

beforeAll(async () => {
  t = await startTestApp();
  exp = (await t.as().post('/api/2.0/mlflow/experiments/create', { name: 'plans' }).expect(200)).body.experiment_id;
  const db = t.container.prisma;
  await db.$executeRaw`INSERT INTO runs (id, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
    SELECT md5(i::text), ${BigInt(exp)}, 'run-' || i, 'u', 'FINISHED', 1700000000000 + i, 'active', 'x' FROM generate_series(1, ${RUNS}) i`;
  await db.$executeRaw`INSERT INTO latest_metrics (run_id, key, value, timestamp, step) SELECT md5(i::text), 'acc', (i % 1000) / 1000.0, 1, 0 FROM generate_series(1, ${RUNS}) i`;
  await db.$executeRaw`INSERT INTO params (run_id, key, value) SELECT md5(i::text), 'model', 'm' || (i % 500) FROM generate_series(1, ${RUNS}) i`;
  await db.$executeRaw`INSERT INTO run_tags (run_id, key, value) SELECT md5(i::text), 'team', 't' || (i % 500) FROM generate_series(1, ${RUNS}) i`;
  await db.$executeRaw`INSERT INTO registered_models (name, creation_time, last_updated_time, last_version) SELECT 'model-' || i, 1, i, 5 FROM generate_series(1, 1000) i`;
  await db.$executeRaw`INSERT INTO registered_model_tags (model_id, key, value) SELECT id, 'team', 't' || (id % 50) FROM registered_models`;
  await db.$executeRaw`INSERT INTO model_versions (model_id, version, source, current_stage, creation_time, last_updated_time)
    SELECT id, v, 's3://b/' || id || '/' || v, CASE WHEN v = 5 THEN 'Production' ELSE 'Archived' END, 1, 1 FROM registered_models, generate_series(1, 5) v`;
  // One run with a long history of `loss`, and its latest point.
  await db.$executeRaw`INSERT INTO metrics (run_id, key, value, timestamp, step) SELECT md5('1'), 'loss', 1.0 / (1 + s), 1700000000000 + s, s FROM generate_series(1, ${HISTORY_POINTS}) s`;
  await db.$executeRawUnsafe('ANALYZE');
}, 120_000);
afterAll(async () => {
  await t.close();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** `Node Type on Index Name: Index Cond` of every index scan in the plan. */
function indexScans(node: PlanNode): string[] {
  const own = node['Index Name'] ? [`${node['Node Type']} on ${node['Index Name']}: ${node['Index Cond'] ?? ''}`] : [];
  return [...own, ...(node.Plans ?? []).flatMap(indexScans)];
}

/** Full sorts in the plan (an Incremental Sort only orders ties within rows that come in order). */
function sorts(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Sort' ? ['Sort'] : [];
  return [...own, ...(node.Plans ?? []).flatMap(sorts)];
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] && LARGE.includes(node['Relation Name']) ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

async function plan(sql: Prisma.Sql): Promise<PlanNode> {
  const rows = await t.container.prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>(`EXPLAIN (FORMAT JSON) ${sql.text}`, ...sql.values);
  return rows[0]!['QUERY PLAN'][0]!.Plan;
}

const all = { kind: 'all' } as const;
const runs = (filter: string | undefined, orderBy: string[] = []) => runSearchSql({ experimentIds: [exp], filter, orderBy, maxResults: 100, runViewType: 'ACTIVE_ONLY' }, all, 0);

describe('search query plans at 100,000 runs', () => {
  it.each([
    ['the default listing of an experiment', () => runs(undefined)],
    ['a metric filter', () => runs('metrics.acc > 0.998')],
    ['a param filter', () => runs("params.model = 'm7'")],
    ['a tag filter', () => runs("tags.team = 't7'")],
    ['a metric filter ordered by the metric', () => runs('metrics.acc > 0.99', ['metrics.acc DESC'])],
    ['an attribute filter ordered by name', () => runs("attributes.status = 'FINISHED'", ['attributes.run_name ASC'])],
  ])('uses indexes for %s', async (_name, sql) => {
    expect(seqScans(await plan(sql()))).toEqual([]);
  });

  // The (key, value) indexes hold (key, left(value, 200)) since values may exceed a btree entry
  // (prisma/migrations/20261201200000_value_indexes_fit); equality must still start from them.
  it.each([
    ['a tag', () => runs("tags.team = 't7'"), 'run_tags_key_value_prefix_idx'],
    ['a param', () => runs("params.model = 'm7'"), 'params_key_value_prefix_idx'],
  ])('starts an equality search on %s from its (key, left(value)) index', async (_name, sql, index) => {
    const scans = indexScans(await plan(sql()));
    // On the key and the value's prefix, not the key alone (which would read 100,000 entries).
    const onKeyAndPrefix = new RegExp(`^(Index|Bitmap Index) Scan on ${index}: .*key = .*left"?\\(value, ${INDEXED_VALUE_CHARS}\\) = `);
    expect(scans).toEqual(expect.arrayContaining([expect.stringMatching(onKeyAndPrefix)]));
  });

  // 90 % of the runs match: sorting them all for a page of 100 is what made the cost grow with size.
  it.each([
    ['descending', 'metrics.acc DESC', 'latest_metrics_key_value_desc_idx'],
    ['ascending', 'metrics.acc ASC', 'latest_metrics_key_value_idx'],
  ])('reads a metric-filtered search ordered by the metric, %s, off an index in order', async (_name, orderBy, index) => {
    for (const offset of [0, 10_000]) {
      const p = await plan(runSearchSql({ experimentIds: [exp], filter: 'metrics.acc > 0.1', orderBy: [orderBy], maxResults: 100, runViewType: 'ACTIVE_ONLY' }, all, offset));
      expect(sorts(p)).toEqual([]);
      expect(indexScans(p)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^Index (Only )?Scan on ${index}: `))]));
    }
  });

  // As RunsRepository.metricHistory writes it: MLflow's order (timestamp, step, value), is_nan last.
  it('reads the first page of a metric history of 100,000 points in order, without sorting it', async () => {
    const p = await plan(
      Prisma.sql`SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_id = ${md5('1')} AND key = ${'loss'} ORDER BY timestamp, step, value, is_nan LIMIT ${1001} OFFSET ${0}`,
    );
    expect(sorts(p)).toEqual([]);
    expect(indexScans(p)).toEqual([expect.stringMatching(/^Index (Only )?Scan on metrics_run_id_key_timestamp_step_value_is_nan_idx: /)]);
  });

  // A next page starts after the previous page's last point (keyset token): an index range, not an offset.
  it('starts a page deep in a metric history of 100,000 points at its key, in the index', async () => {
    const after = HISTORY_POINTS / 2;
    const p = await plan(
      Prisma.sql`SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_id = ${md5('1')} AND key = ${'loss'}
        AND (timestamp, step, value, is_nan) > (${String(1700000000000 + after)}::bigint, ${String(after)}::bigint, ${String(1 / (1 + after))}::float8, ${false})
        ORDER BY timestamp, step, value, is_nan LIMIT ${1001}`,
    );
    expect(sorts(p)).toEqual([]);
    expect(indexScans(p)).toEqual([expect.stringMatching(/^Index (Only )?Scan on metrics_run_id_key_timestamp_step_value_is_nan_idx: .*ROW\("?timestamp"?, step, value, is_nan\) > ROW\(/)]);
  });

  it('uses indexes to load a page of 100 full runs', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => md5(String(i * 997 + 1)));
    expect(seqScans(await plan(runsByIdsSql(ids)))).toEqual([]);
  });

  it.each([
    ['registered models by name', Prisma.sql`SELECT id FROM registered_models rm WHERE rm.name = ${'model-7'}`],
    // As src/search/registry-search.ts writes it (compareValue).
    [
      'registered models by tag',
      Prisma.sql`SELECT rm.id FROM registered_models rm WHERE EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.model_id = rm.id AND t.key = ${'team'} AND left(t.value, 200) = left(${'t7'}, 200) AND t.value = ${'t7'}) ORDER BY rm.name LIMIT 101`,
    ],
    ['versions of a model in a stage', Prisma.sql`SELECT version FROM model_versions WHERE model_id = ${7n} AND current_stage = ${'Production'} ORDER BY version DESC LIMIT 1`],
  ])('uses indexes for %s', async (_name, sql) => {
    expect(seqScans(await plan(sql))).toEqual([]);
  });

  // Without the bound, the walk of the name index in order reads every name before the prefix
  // (the growth --scale found for `name LIKE 'x%'`); with it the scan starts at the prefix.
  it("starts a name LIKE search of registered models at the pattern's prefix in the name index", async () => {
    const sql = registeredModelSearchSql({ filter: "name LIKE 'model-99%'", orderBy: [], maxResults: 100 }, all, 0, true);
    const p = await plan(sql);
    expect(indexScans(p)).toEqual(expect.arrayContaining([expect.stringMatching(/^Index (Only )?Scan on registered_models_name_key: .*name >= .*name < /)]));
    expect(sorts(p)).toEqual([]); // the range walked in name order, not read whole and sorted
  });

  it('pages through a metric history of 100,000 points through the API', async () => {
    const page = (token?: string) =>
      t
        .as()
        .get('/api/2.0/mlflow/metrics/get-history')
        .query({ run_id: md5('1'), metric_key: 'loss', max_results: 25_000, ...(token ? { page_token: token } : {}) })
        .expect(200);
    let res = await page();
    const steps: number[] = res.body.metrics.map((m: { step: string }) => Number(m.step));
    while (res.body.next_page_token) {
      res = await page(res.body.next_page_token);
      steps.push(...res.body.metrics.map((m: { step: string }) => Number(m.step)));
    }
    expect(steps).toEqual(Array.from({ length: HISTORY_POINTS }, (_, i) => i + 1));
  });

  it('answers a metric-filtered search over 100,000 runs through the API', async () => {
    const res = await t
      .as()
      .post('/api/2.0/mlflow/runs/search', { experiment_ids: [exp], filter: 'metrics.acc > 0.998', max_results: 1000 })
      .expect(200);
    expect(res.body.runs).toHaveLength(100);
  });
});
