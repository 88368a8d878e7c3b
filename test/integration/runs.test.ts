import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
let exp: string;
const M = '/api/2.0/mlflow';
beforeAll(async () => {
  t = await startTestApp();
  exp = (await t.as('alice').post(`${M}/experiments/create`, { name: 'runs-exp' }).expect(200)).body.experiment_id;
});
afterAll(async () => {
  await t.close();
});

const createRun = async (body: Record<string, unknown> = {}, user = 'alice') =>
  (
    await t
      .as(user)
      .post(`${M}/runs/create`, { experiment_id: exp, ...body })
      .expect(200)
  ).body.run;

describe('runs', () => {
  it('creates a run with MLflow defaults: RUNNING, generated name tag, caller as user, proxied artifact URI', async () => {
    const run = await createRun({ start_time: 1732500000000 });
    expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info).toMatchObject({
      run_uuid: run.info.run_id,
      experiment_id: exp,
      user_id: 'alice',
      status: 'RUNNING',
      start_time: 1732500000000,
      lifecycle_stage: 'active',
      artifact_uri: `mlflow-artifacts:/${exp}/${run.info.run_id}/artifacts`,
    });
    expect(run.info.end_time).toBeUndefined();
    expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: run.info.run_name }]);
  });

  it('uses experiment "0" when none is given and keeps a given name and user', async () => {
    // Default experiment: the default READ permission does not let ordinary users create runs there.
    expect((await t.as('alice').post(`${M}/runs/create`, { run_name: 'x' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    const run = (await t.as().post(`${M}/runs/create`, { run_name: 'named', user_id: 'bob' }).expect(200)).body.run;
    expect(run.info).toMatchObject({ experiment_id: '0', run_name: 'named', user_id: 'bob' });
  });

  it('refuses a run_name that disagrees with the mlflow.runName tag, and runs in deleted or unknown experiments', async () => {
    const res = await t
      .as('alice')
      .post(`${M}/runs/create`, { experiment_id: exp, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const gone = (await t.as('alice').post(`${M}/experiments/create`, { name: 'gone-exp' })).body.experiment_id;
    await t.as('alice').post(`${M}/experiments/delete`, { experiment_id: gone }).expect(200);
    expect((await t.as('alice').post(`${M}/runs/create`, { experiment_id: gone }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.as('alice').post(`${M}/runs/create`, { experiment_id: '99999' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    // An experiment the service has seen before is not read again: the insert itself checks it is active.
    const later = (await t.as('alice').post(`${M}/experiments/create`, { name: 'deleted-later' })).body.experiment_id;
    await t.as('alice').post(`${M}/runs/create`, { experiment_id: later }).expect(200);
    await t.as('alice').post(`${M}/experiments/delete`, { experiment_id: later }).expect(200);
    const refused = await t.as('alice').post(`${M}/runs/create`, { experiment_id: later }).expect(400);
    expect(refused.body.message).toContain("must be in the 'active' state. Current state is deleted");
    expect((await t.as('bob').post(`${M}/runs/create`, { experiment_id: later }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    await t.as('alice').post(`${M}/experiments/restore`, { experiment_id: later }).expect(200);
    await t.as('alice').post(`${M}/runs/create`, { experiment_id: later }).expect(200);
    const { runs } = (
      await t
        .as('alice')
        .post(`${M}/runs/search`, { experiment_ids: [later], run_view_type: 'ALL' })
        .expect(200)
    ).body;
    expect(runs).toHaveLength(2);
  });

  it('logs params, metrics and tags and returns the latest metric per key', async () => {
    const id = (await createRun()).info.run_id;
    const a = t.as('alice');
    await a.post(`${M}/runs/log-parameter`, { run_id: id, key: 'lr', value: '0.01' }).expect(200);
    await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'rmse', value: 0.9, timestamp: 1000, step: 0 }).expect(200);
    await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'rmse', value: 0.5, timestamp: '2000', step: '1' }).expect(200);
    await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'rmse', value: 0.7, timestamp: 3000, step: 0 }).expect(200);
    await a.post(`${M}/runs/set-tag`, { run_id: id, key: 'team', value: 'fraud' }).expect(200);
    const run = (await a.get(`${M}/runs/get`, { run_id: id }).expect(200)).body.run;
    expect(run.data.metrics).toEqual([{ key: 'rmse', value: 0.5, timestamp: 2000, step: 1 }]);
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'fraud' }]));
    const legacy = (await a.get(`${M}/runs/get`, { run_uuid: id }).expect(200)).body.run;
    expect(legacy.info.run_id).toBe(id);
  });

  it('keeps params immutable: the same value again is fine, a different one is 400', async () => {
    const id = (await createRun()).info.run_id;
    const a = t.as('alice');
    await a.post(`${M}/runs/log-parameter`, { run_id: id, key: 'p', value: 'v' }).expect(200);
    await a.post(`${M}/runs/log-parameter`, { run_id: id, key: 'p', value: 'v' }).expect(200);
    const res = await a.post(`${M}/runs/log-parameter`, { run_id: id, key: 'p', value: 'w' }).expect(400);
    expect(res.body.message).toContain('Changing param values is not allowed');
    expect((await t.container.prisma.param.findUnique({ where: { runId_key: { runId: id, key: 'p' } } }))?.value).toBe('v');
  });

  it('round-trips NaN and infinities like MLflow (NaN as "NaN", infinities stored as the largest double)', async () => {
    const id = (await createRun()).info.run_id;
    const a = t.as('alice');
    await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'nan', value: 'NaN', timestamp: 1 }).expect(200);
    await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'inf', value: 'Infinity', timestamp: 1 }).expect(200);
    await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'ninf', value: '-Infinity', timestamp: 1 }).expect(200);
    await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'exact', value: 0.30000000000000004, timestamp: 1 }).expect(200);
    // Exponent forms and the smallest subnormal survive the JSON hand-over to PostgreSQL too.
    const extremes = { tiny: 5e-324, big: 1e21, neg: -2.5e-8 };
    await a.post(`${M}/runs/log-batch`, { run_id: id, metrics: Object.entries(extremes).map(([key, value]) => ({ key, value, timestamp: 1 })) }).expect(200);
    const hist = (await a.get(`${M}/metrics/get-history`, { run_id: id, metric_key: 'nan' }).expect(200)).body;
    expect(hist.metrics).toEqual([{ key: 'nan', value: 'NaN', timestamp: 1, step: 0 }]);
    const run = (await a.get(`${M}/runs/get`, { run_id: id })).body.run;
    const byKey = Object.fromEntries(run.data.metrics.map((m: { key: string; value: unknown }) => [m.key, m.value]));
    expect(byKey).toEqual({ nan: 'NaN', inf: 1.7976931348623157e308, ninf: -1.7976931348623157e308, exact: 0.30000000000000004, ...extremes });
    // get-history gives back the same doubles as runs/get.
    for (const [key, value] of Object.entries(byKey)) {
      const points = (await a.get(`${M}/metrics/get-history`, { run_id: id, metric_key: key }).expect(200)).body.metrics;
      expect(points).toEqual([{ key, value, timestamp: 1, step: 0 }]);
    }
  });

  it.each([
    [{ key: 'm', value: true, timestamp: 1 }, "parameter 'value'"],
    [{ key: 'm', value: 1 }, "Missing value for required parameter 'timestamp'"],
    [{ key: 'm', value: 1, timestamp: 'soon' }, "parameter 'timestamp'"],
    [{ key: 'bad key!', value: 1, timestamp: 1 }, 'Invalid metric name'],
    [{ key: 'a/../b', value: 1, timestamp: 1 }, 'must not resolve to other names'],
    [{ key: 'x'.repeat(251), value: 1, timestamp: 1 }, 'exceeded length limit of 250'],
  ])('answers 400 to log-metric %j', async (body, message) => {
    const id = (await createRun()).info.run_id;
    const res = await t
      .as('alice')
      .post(`${M}/runs/log-metric`, { run_id: id, ...body })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(message);
  });

  it('updates status, end time and name (rewriting mlflow.runName), and refuses writes to deleted runs', async () => {
    const id = (await createRun({ run_name: 'first' })).info.run_id;
    const a = t.as('alice');
    const upd = await a.post(`${M}/runs/update`, { run_id: id, status: 'FINISHED', end_time: 5000, run_name: 'second' }).expect(200);
    expect(upd.body.run_info).toMatchObject({ status: 'FINISHED', end_time: 5000, run_name: 'second' });
    const run = (await a.get(`${M}/runs/get`, { run_id: id })).body.run;
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.runName', value: 'second' }]));
    expect((await a.post(`${M}/runs/update`, { run_id: id, status: 'DONE' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await a.post(`${M}/runs/delete`, { run_id: id }).expect(200);
    expect((await a.get(`${M}/runs/get`, { run_id: id })).body.run.info.lifecycle_stage).toBe('deleted');
    // The run's experiment is known by now: these writes check the run's state inside their statement.
    const refused = await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'm', value: 99, timestamp: 1 }).expect(400);
    expect(refused.body.message).toContain("must be in the 'active' state. Current state is deleted");
    await a.post(`${M}/runs/log-batch`, { run_id: id, params: [{ key: 'p', value: '1' }], tags: [{ key: 't', value: '1' }] }).expect(400);
    expect((await a.post(`${M}/runs/update`, { run_id: id, status: 'KILLED' }).expect(400)).body.message).toContain("must be in the 'active' state");
    await a.post(`${M}/runs/restore`, { run_id: id }).expect(200);
    await a.post(`${M}/runs/log-metric`, { run_id: id, key: 'm', value: 1, timestamp: 1 }).expect(200);
    const after = (await a.get(`${M}/runs/get`, { run_id: id })).body.run;
    expect(after.info.status).toBe('FINISHED');
    expect(after.data.metrics).toEqual([{ key: 'm', value: 1, timestamp: 1, step: 0 }]);
    expect(after.data.params).toBeUndefined();
    expect(after.data.tags.map((x: { key: string }) => x.key)).not.toContain('t');
  });

  it('deletes tags, answering 404 for a missing one; unknown runs are 404', async () => {
    const id = (await createRun()).info.run_id;
    const a = t.as('alice');
    await a.post(`${M}/runs/set-tag`, { run_id: id, key: 'x', value: '1' }).expect(200);
    await a.post(`${M}/runs/delete-tag`, { run_id: id, key: 'x' }).expect(200);
    expect((await a.post(`${M}/runs/delete-tag`, { run_id: id, key: 'x' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await a.get(`${M}/runs/get`, { run_id: 'f'.repeat(32) }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('applies the experiment permission to runs: READ may read, not log; no grant with a private default sees nothing', async () => {
    const id = (await createRun()).info.run_id;
    await t.container.prisma.permissionGrant.create({
      data: { resourceType: 'experiment', resourceId: exp, principalType: 'user', principal: 'reader', level: 'READ', createdAt: 0n },
    });
    await t.as('reader').get(`${M}/runs/get`, { run_id: id }).expect(200);
    const denied = await t.as('reader').post(`${M}/runs/log-metric`, { run_id: id, key: 'm', value: 1, timestamp: 1 }).expect(403);
    expect(denied.body).toEqual({ error_code: 'PERMISSION_DENIED', message: expect.stringContaining('EDIT') });
    expect((await t.as('reader').post(`${M}/runs/delete`, { run_id: id }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });
});
