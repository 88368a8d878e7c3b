import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
let exp: string;
const M = '/api/2.0/mlflow';
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  exp = (await t.as().post(`${M}/experiments/create`, { name: 'search-runs' }).expect(200)).body.experiment_id;
  const rows = [
    { name: 'r1', rmse: 0.9, model: 'rf', team: 'fraud', start: 1000 },
    { name: 'r2', rmse: 0.3, model: 'xgb', team: 'fraud', start: 2000 },
    { name: 'r3', rmse: 0.5, model: 'xgb', team: 'churn', start: 3000 },
    { name: 'r4', rmse: undefined, model: 'linear', team: 'churn', start: 4000 },
  ];
  for (const r of rows) {
    const run = (await t.as().post(`${M}/runs/create`, { experiment_id: exp, run_name: r.name, start_time: r.start }).expect(200)).body.run;
    ids[r.name] = run.info.run_id;
    await t
      .as()
      .post(`${M}/runs/log-batch`, {
        run_id: run.info.run_id,
        metrics: r.rmse === undefined ? [] : [{ key: 'rmse', value: r.rmse, timestamp: 1 }],
        params: [{ key: 'model', value: r.model }],
        tags: [
          { key: 'team', value: r.team },
          { key: 'extra key', value: 'v' },
        ],
      })
      .expect(200);
  }
  await t.as().post(`${M}/runs/update`, { run_id: ids.r3, status: 'FINISHED', end_time: 5000 }).expect(200);
});
afterAll(async () => {
  await t.close();
});

async function search(body: Record<string, unknown>): Promise<string[]> {
  const res = await t
    .as()
    .post(`${M}/runs/search`, { experiment_ids: [exp], ...body })
    .expect(200);
  return (res.body.runs ?? []).map((r: { info: { run_name: string } }) => r.info.run_name);
}

describe('runs/search', () => {
  it('lists newest first by default and returns full runs', async () => {
    const res = await t
      .as()
      .post(`${M}/runs/search`, { experiment_ids: [exp] })
      .expect(200);
    expect(res.body.runs.map((r: { info: { run_name: string } }) => r.info.run_name)).toEqual(['r4', 'r3', 'r2', 'r1']);
    expect(res.body.runs[1].data.params).toEqual([{ key: 'model', value: 'xgb' }]);
  });

  it.each([
    ['metrics.rmse < 0.6', ['r3', 'r2']],
    ['metric.rmse >= 0.5 AND params.model = "xgb"', ['r3']],
    ['metrics.rmse != 0.3', ['r3', 'r1']],
    ["params.model LIKE 'x%'", ['r3', 'r2']],
    ["parameters.model ILIKE 'XG%'", ['r3', 'r2']],
    ["params.model != 'rf'", ['r4', 'r3', 'r2']],
    ["tags.team = 'churn'", ['r4', 'r3']],
    ["tags.`extra key` = 'v' AND tag.team = 'fraud'", ['r2', 'r1']],
    ["attributes.status = 'FINISHED'", ['r3']],
    ["run_name = 'r1'", ['r1']],
    ["attributes.run_name ILIKE 'R%' AND attributes.start_time > 2500", ['r4', 'r3']],
    ['attributes.end_time = 5000', ['r3']],
  ])('filters with %s', async (filter, expected) => {
    expect(await search({ filter })).toEqual(expected);
  });

  it('filters run_id with IN and NOT IN', async () => {
    expect(await search({ filter: `attributes.run_id IN ('${ids.r1}', '${ids.r2}')` })).toEqual(['r2', 'r1']);
    expect(await search({ filter: `run_id NOT IN ('${ids.r1}')` })).toEqual(['r4', 'r3', 'r2']);
  });

  it('orders by metric with missing values last, by param and by attribute', async () => {
    expect(await search({ order_by: ['metrics.rmse ASC'] })).toEqual(['r2', 'r3', 'r1', 'r4']);
    expect(await search({ order_by: ['metrics.rmse DESC'] })).toEqual(['r1', 'r3', 'r2', 'r4']);
    expect(await search({ order_by: ['params.model', 'attributes.start_time DESC'] })).toEqual(['r4', 'r1', 'r3', 'r2']);
    expect(await search({ order_by: ['run_name ASC'] })).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it.each([
    ['metrics.rmse < 0.6', ['metrics.rmse DESC'], ['r3', 'r2']],
    ['metrics.rmse > 0.2 AND metrics.rmse < 0.8', ['metrics.rmse ASC'], ['r2', 'r3']],
    ['metrics.rmse != 0.5', ['metrics.rmse ASC'], ['r2', 'r1']],
    ["params.model != 'linear'", ['params.model DESC'], ['r3', 'r2', 'r1']],
    ["tags.team = 'churn' AND params.model LIKE '%'", ['tags.team', 'params.model'], ['r4', 'r3']],
  ])('filters with %s while ordering by the same key %j (one lookup, same runs)', async (filter, orderBy, expected) => {
    expect(await search({ filter, order_by: orderBy })).toEqual(expected);
  });

  it('never matches a NaN metric, whether or not it orders by that metric', async () => {
    const other = (await t.as().post(`${M}/experiments/create`, { name: 'search-nan' }).expect(200)).body.experiment_id;
    for (const [name, value] of [
      ['nan', 'NaN'],
      ['low', 0.1],
    ] as const) {
      const run = (await t.as().post(`${M}/runs/create`, { experiment_id: other, run_name: name }).expect(200)).body.run;
      await t.as().post(`${M}/runs/log-metric`, { run_id: run.info.run_id, key: 'rmse', value, timestamp: 1 }).expect(200);
    }
    for (const order_by of [[], ['metrics.rmse ASC']]) {
      const res = await t
        .as()
        .post(`${M}/runs/search`, { experiment_ids: [other], filter: 'metrics.rmse < 0.6', order_by })
        .expect(200);
      expect(res.body.runs.map((r: { info: { run_name: string } }) => r.info.run_name)).toEqual(['low']);
    }
  });

  it('pages with max_results and page tokens', async () => {
    const first = await t
      .as()
      .post(`${M}/runs/search`, { experiment_ids: [exp], max_results: 3 })
      .expect(200);
    expect(first.body.runs).toHaveLength(3);
    const second = await t
      .as()
      .post(`${M}/runs/search`, { experiment_ids: [exp], max_results: 3, page_token: first.body.next_page_token })
      .expect(200);
    expect(second.body.runs.map((r: { info: { run_name: string } }) => r.info.run_name)).toEqual(['r1']);
    expect(second.body.next_page_token).toBeUndefined();
  });

  it('honours run_view_type', async () => {
    const run = (await t.as().post(`${M}/runs/create`, { experiment_id: exp, run_name: 'doomed' }).expect(200)).body.run;
    await t.as().post(`${M}/runs/delete`, { run_id: run.info.run_id }).expect(200);
    expect(await search({ run_view_type: 'DELETED_ONLY' })).toEqual(['doomed']);
    expect(await search({ run_view_type: 'ALL' })).toContain('doomed');
    expect(await search({})).not.toContain('doomed');
  });

  it('shows nothing of experiments the caller may not read', async () => {
    await t.container.prisma.permissionGrant.create({
      data: { resourceType: 'experiment', resourceId: exp, principalType: 'user', principal: 'outsider', level: 'NO_PERMISSIONS', createdAt: 0n },
    });
    const res = await t
      .as('outsider')
      .post(`${M}/runs/search`, { experiment_ids: [exp] })
      .expect(200);
    expect(res.body).toEqual({});
  });

  it.each([
    [{ filter: 'metrics.rmse < ' }, 'expected a number or a quoted string'],
    [{ filter: "metrics.rmse = 'high'" }, 'expected a number'],
    [{ filter: 'params.model > 1' }, "Invalid comparator '>'"],
    [{ filter: "attributes.nope = 'x'" }, 'Invalid attribute key'],
    [{ filter: "status IN ('A')" }, "Invalid comparator 'IN'"],
    [{ filter: "foo.bar = 'x'" }, "Invalid entity type 'foo'"],
    [{ filter: "params.a = 'x' params.b = 'y'" }, 'expected AND'],
    [{ filter: "params.a = 'x" }, 'unterminated'],
    [{ order_by: ['metrics.rmse SIDEWAYS'] }, 'Invalid order_by clause'],
    [{ max_results: 50001 }, 'max_results'],
    [{ experiment_ids: ['abc'] }, 'Invalid experiment ID'],
    [{ page_token: '%%%' }, 'page token'],
  ])('answers 400 INVALID_PARAMETER_VALUE to %j', async (body, message) => {
    const res = await t
      .as()
      .post(`${M}/runs/search`, { experiment_ids: [exp], ...body })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(message);
  });
});
