import { FILTER_LIMITS } from '../../src/search/filter-parser';
import { runSearchSql } from '../../src/search/runs-search';
import { startTestApp, type TestApp } from '../helpers/test-app';

// Issue 12 item 6 (names of Object.prototype in the search language) and issue 13 item 2 (long
// filters, out-of-range numbers) on every search endpoint.
let t: TestApp;
let exp: string;
let modelId: string;
const M = '/api/2.0/mlflow';
const runIds: string[] = [];
const KEYS = 100;

beforeAll(async () => {
  t = await startTestApp();
  const a = t.as();
  exp = (await a.post(`${M}/experiments/create`, { name: 'hardening' }).expect(200)).body.experiment_id;
  // r0 and r1 have tN = 'v', pN = 'v' and mN = N for every N < 100; r2 differs on the last key.
  for (let i = 0; i < 3; i++) {
    const run = (await a.post(`${M}/runs/create`, { experiment_id: exp, run_name: `r${i}`, start_time: 1000 * (i + 1) }).expect(200)).body.run.info.run_id;
    runIds.push(run);
    const last = (k: number) => i === 2 && k === KEYS - 1;
    await a
      .post(`${M}/runs/log-batch`, {
        run_id: run,
        metrics: Array.from({ length: KEYS }, (_, k) => ({ key: `m${k}`, value: last(k) ? -1 : k, timestamp: 1 })),
        params: Array.from({ length: KEYS }, (_, k) => ({ key: `p${k}`, value: last(k) ? 'w' : 'v' })),
        tags: Array.from({ length: KEYS }, (_, k) => ({ key: `t${k}`, value: last(k) ? 'w' : 'v' })),
      })
      .expect(200);
  }
  // A tag may be called `constructor`: keys of metrics, params and tags are data, not lookups.
  await a.post(`${M}/runs/set-tag`, { run_id: runIds[0], key: 'constructor', value: 'yes' }).expect(200);

  const tags = Array.from({ length: KEYS }, (_, k) => ({ key: `t${k}`, value: 'v' }));
  await a.post(`${M}/registered-models/create`, { name: 'hm', tags }).expect(200);
  for (let v = 0; v < 2; v++) {
    await a.post(`${M}/model-versions/create`, { name: 'hm', source: `s3://bucket/hm/${v}`, tags }).expect(200);
  }
  modelId = (await a.post(`${M}/logged-models`, { experiment_id: exp, name: 'lm', params: [{ key: 'alpha', value: '1' }] }).expect(200)).body.model.info.model_id;
  await t.container.prisma.$executeRawUnsafe('ANALYZE');
}, 120_000);
afterAll(async () => {
  await t.close();
});

type Call = (body: Record<string, unknown>) => Promise<{ status: number; body: Record<string, unknown> }>;
const post =
  (path: string, base: () => Record<string, unknown> = () => ({})): Call =>
  (body) =>
    t.as().post(`${M}/${path}`, { ...base(), ...body });
const get =
  (path: string): Call =>
  (query) =>
    t.as().get(`${M}/${path}`, query);
const runsSearch = post('runs/search', () => ({ experiment_ids: [exp] }));
const experimentsSearch = post('experiments/search');
const modelsSearch = get('registered-models/search');
const versionsSearch = get('model-versions/search');
const loggedModelsSearch = post('logged-models/search', () => ({ experiment_ids: [exp] }));

async function refused(call: Call, body: Record<string, unknown>, message: string): Promise<void> {
  const res = await call(body);
  expect({ status: res.status, error_code: res.body.error_code }).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
  expect(res.body.message).toContain(message);
}

const runNames = (body: Record<string, unknown>) => ((body.runs ?? []) as Array<{ info: { run_name: string } }>).map((r) => r.info.run_name);
async function runsFound(filter: string): Promise<string[]> {
  const res = await runsSearch({ filter });
  expect(res.status).toBe(200);
  return runNames(res.body);
}

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
const ENTITY_MESSAGE = (k: string) => `Invalid entity type '${k}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`;

describe.each(PROTOTYPE_NAMES)("the name '%s' of Object.prototype", (k) => {
  it('is refused as an entity type by every search endpoint', async () => {
    for (const call of [runsSearch, experimentsSearch, modelsSearch, versionsSearch, loggedModelsSearch]) {
      await refused(call, { filter: `${k}.x = 1` }, ENTITY_MESSAGE(k));
      await refused(call, { filter: `${k}.\`x\` = 'a'` }, ENTITY_MESSAGE(k));
    }
    for (const call of [runsSearch, experimentsSearch]) await refused(call, { order_by: [`${k}.x DESC`] }, ENTITY_MESSAGE(k));
    for (const call of [modelsSearch, versionsSearch]) await refused(call, { order_by: `${k}.x` }, ENTITY_MESSAGE(k));
  });

  it('is refused as an attribute key in filters', async () => {
    const valid = 'Valid keys are run_id, run_name';
    for (const filter of [`attributes.${k} = 'x'`, `${k} = 'x'`, `attr.\`${k}\` = 'x'`, `attributes.${k} > 1`]) {
      await refused(runsSearch, { filter }, `Invalid attribute key '${k}' specified. ${valid}`);
      await refused(experimentsSearch, { filter }, `'${k}' is not searchable for experiments`);
      await refused(modelsSearch, { filter }, `'${k}' is not searchable for registered models`);
      await refused(versionsSearch, { filter }, `'${k}' is not searchable for model versions`);
      await refused(loggedModelsSearch, { filter }, `'${k}' is not searchable for logged models`);
    }
  });

  it('is refused as an order_by key', async () => {
    for (const clause of [k, `attributes.${k} DESC`]) {
      await refused(runsSearch, { order_by: [clause] }, `Invalid attribute key '${k}' specified. Valid keys are run_id`);
      await refused(experimentsSearch, { order_by: [clause] }, `Invalid order_by key '${k}' for experiments`);
      await refused(modelsSearch, { order_by: clause }, `Invalid order_by key '${k}' for registered models`);
      await refused(versionsSearch, { order_by: clause }, `Invalid order_by key '${k}' for model versions`);
    }
    await refused(loggedModelsSearch, { order_by: [{ field_name: k }] }, `Invalid order_by field_name '${k}' for logged models`);
  });

  it('is refused as a dataset attribute', async () => {
    await refused(runsSearch, { filter: `datasets.${k} = 'x'` }, `Invalid dataset attribute '${k}'`);
  });
});

describe('keys of metrics, params and tags named like Object.prototype members', () => {
  it('are ordinary keys', async () => {
    expect(await runsFound("tags.constructor = 'yes'")).toEqual(['r0']);
    expect(await runsFound("tags.__proto__ = 'yes' ")).toEqual([]);
    const ordered = await runsSearch({ order_by: ['tags.constructor DESC', 'params.toString'] });
    expect(runNames(ordered.body)).toEqual(['r0', 'r2', 'r1']);
    expect((await modelsSearch({ filter: "tags.valueOf = 'x'" })).body).toEqual({});
    expect((await loggedModelsSearch({ filter: "params.hasOwnProperty = '1'" })).body).toEqual({});
  });
});

describe('filter caps', () => {
  const terms = (n: number, term: (k: number) => string) => Array.from({ length: n }, (_, k) => term(k)).join(' AND ');
  const tag = (k: number) => `tags.t${k % KEYS} = 'v'`;

  it(`refuses more than ${FILTER_LIMITS.maxComparisons} comparisons on every search endpoint, naming the cap`, async () => {
    const filter = terms(FILTER_LIMITS.maxComparisons + 1, tag);
    const message = `more than ${FILTER_LIMITS.maxComparisons} comparisons; at most ${FILTER_LIMITS.maxComparisons} may be joined by AND in one filter`;
    for (const call of [runsSearch, experimentsSearch, loggedModelsSearch]) await refused(call, { filter }, message);
    // GET searches carry the filter in the query string, which Node caps at 16 kB: a shorter one.
    const short = terms(FILTER_LIMITS.maxComparisons + 1, (k) => `tags.t${k % 10}='v'`);
    for (const call of [modelsSearch, versionsSearch]) await refused(call, { filter: short }, message);
  });

  it(`refuses filters longer than ${FILTER_LIMITS.maxLength} characters before parsing them`, async () => {
    const long = `tags.t0 = '${'x'.repeat(FILTER_LIMITS.maxLength)}'`;
    const message = `the filter is ${long.length} characters long; the maximum is ${FILTER_LIMITS.maxLength} characters`;
    for (const call of [runsSearch, experimentsSearch, loggedModelsSearch]) await refused(call, { filter: long }, message);
    // An unterminated quote would be a parse error: the length is checked first.
    await refused(runsSearch, { filter: `tags.t0 = '${'x'.repeat(FILTER_LIMITS.maxLength)}` }, 'characters long');
    const atCap = `tags.t0 = '${'x'.repeat(FILTER_LIMITS.maxLength - "tags.t0 = ''".length)}'`;
    expect(atCap).toHaveLength(FILTER_LIMITS.maxLength);
    expect(await runsFound(atCap)).toEqual([]);
  });

  it.each([
    ['tags', tag],
    ['params', (k: number) => `params.p${k} = 'v'`],
    ['metrics', (k: number) => `metrics.m${k} >= 0`],
    ['tags, params and metrics', (k: number) => [`tags.t${k} = 'v'`, `params.p${k} = 'v'`, `metrics.m${k} >= 0`][k % 3]!],
  ])(`answers ${FILTER_LIMITS.maxComparisons} comparisons on %s quickly and correctly`, async (_name, term) => {
    const filter = terms(FILTER_LIMITS.maxComparisons, term);
    const started = Date.now();
    expect(await runsFound(filter)).toEqual(['r1', 'r0']);
    expect(Date.now() - started).toBeLessThan(5000);
    // The plan stays cheap to make: one join per comparison made planning exponential (20 took 4 s).
    const sql = runSearchSql({ experimentIds: [exp], filter, orderBy: ['metrics.m0 DESC'], maxResults: 1000, runViewType: 'ACTIVE_ONLY' }, { kind: 'all' }, 0);
    const explained = await t.container.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = '20s'");
      return tx.$queryRawUnsafe<Array<{ 'QUERY PLAN': Array<{ 'Planning Time': number }> }>>(`EXPLAIN (SUMMARY, FORMAT JSON) ${sql.text}`, ...sql.values);
    });
    expect(explained[0]!['QUERY PLAN'][0]!['Planning Time']).toBeLessThan(500);
  });

  it(`answers ${FILTER_LIMITS.maxComparisons} tag comparisons quickly and correctly on the other searches`, async () => {
    const filter = terms(FILTER_LIMITS.maxComparisons, (k) => `tags.t${k}='v'`);
    for (const [call, key] of [
      [modelsSearch, 'registered_models'],
      [versionsSearch, 'model_versions'],
      [experimentsSearch, 'experiments'],
    ] as const) {
      const started = Date.now();
      const res = await call({ filter });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(((res.body[key] ?? []) as unknown[]).length).toBe(key === 'experiments' ? 0 : key === 'model_versions' ? 2 : 1);
    }
  });
});

describe('numbers out of the range of the columns', () => {
  it.each([
    ['attributes.start_time > 1e21', []],
    ['attributes.start_time < 1e21', ['r2', 'r1', 'r0']],
    ['attributes.start_time > 99999999999999999999', []],
    ['attributes.start_time <= 99999999999999999999', ['r2', 'r1', 'r0']],
    ['attributes.start_time != -99999999999999999999', ['r2', 'r1', 'r0']],
    ['attributes.start_time > -1e309', ['r2', 'r1', 'r0']],
    ['attributes.start_time = 1e309', []],
    ['attributes.start_time >= 1999.5', ['r2', 'r1']],
    ['metrics.m1 < 1e309', ['r2', 'r1', 'r0']],
    ['metrics.m1 > 1e309', []],
    ['metrics.m1 > -1e309', ['r2', 'r1', 'r0']],
    ['metrics.m1 < 1e300', ['r2', 'r1', 'r0']],
    ['metrics.m1 < 99999999999999999999', ['r2', 'r1', 'r0']],
  ])('answers runs/search %s truly', async (filter, expected) => {
    expect(await runsFound(filter)).toEqual(expected);
  });

  it.each([
    ['version_number > 1e21', []],
    ['version_number < 1e21', ['hm/2', 'hm/1']],
    ['version_number < 99999999999999999999', ['hm/2', 'hm/1']],
    ['version_number > -99999999999999999999', ['hm/2', 'hm/1']],
    ['version_number <= 1e309', ['hm/2', 'hm/1']],
    ['version_number = 1e309', []],
  ])('answers model-versions/search %s truly', async (filter, expected) => {
    const res = await versionsSearch({ filter, order_by: 'version_number DESC' });
    expect(res.status).toBe(200);
    expect(((res.body.model_versions ?? []) as Array<{ name: string; version: string }>).map((v) => `${v.name}/${v.version}`)).toEqual(expected);
  });

  it('answers experiments/search and logged-models/search on their numeric attributes', async () => {
    const experiments = async (filter: string) => ((await experimentsSearch({ filter })).body.experiments ?? []) as unknown[];
    expect(await experiments('creation_time > 99999999999999999999')).toEqual([]);
    expect((await experiments('creation_time < 1e21')).length).toBeGreaterThan(0);
    expect((await experiments('last_update_time < 1e309')).length).toBeGreaterThan(0);
    const models = async (filter: string) => (((await loggedModelsSearch({ filter })).body.models ?? []) as Array<{ info: { model_id: string } }>).map((m) => m.info.model_id);
    expect(await models('creation_timestamp < 1e21')).toEqual([modelId]);
    expect(await models('creation_timestamp > 99999999999999999999')).toEqual([]);
    expect(await models('metrics.acc < 1e309')).toEqual([]);
  });

  it('refuses numbers where strings are compared, on registered-models/search too', async () => {
    await refused(modelsSearch, { filter: 'name = 1e21' }, 'expected a quoted string');
    await refused(modelsSearch, { filter: 'tags.t0 = 99999999999999999999' }, 'expected a quoted string');
    await refused(runsSearch, { filter: 'params.p0 = 1e309' }, 'expected a quoted string');
  });
});
