import { Readable } from 'node:stream';
import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
let exp: string;
const M = '/api/2.0/mlflow';
beforeAll(async () => {
  t = await startTestApp();
  exp = (await t.as('alice').post(`${M}/experiments/create`, { name: 'lm-exp' }).expect(200)).body.experiment_id;
});
afterAll(async () => {
  await t.close();
});

describe('MLflow 3 logged models', () => {
  it('creates, finalizes, tags, logs params, searches and lists artifacts like the 3.x client', async () => {
    const a = t.as('alice');
    const run = (await a.post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id;
    const created = await a
      .post(`${M}/logged-models`, { experiment_id: exp, name: 'clf', model_type: 'sklearn', source_run_id: run, params: [{ key: 'alpha', value: '0.1' }], tags: [{ key: 'k', value: 'v' }] })
      .expect(200);
    const info = created.body.model.info;
    expect(info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(info).toMatchObject({
      experiment_id: exp,
      name: 'clf',
      status: 'LOGGED_MODEL_PENDING',
      model_type: 'sklearn',
      source_run_id: run,
      artifact_uri: `mlflow-artifacts:/${exp}/models/${info.model_id}/artifacts`,
      tags: [{ key: 'k', value: 'v' }],
    });
    expect(created.body.model.data.params).toEqual([{ key: 'alpha', value: '0.1' }]);

    const id = info.model_id as string;
    await t.container.artifactStore.put(`${exp}/models/${id}/artifacts/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
    await t.container.artifactStore.put(`${exp}/models/${id}/artifacts/data/model.pkl`, Readable.from([Buffer.from('bytes')]));
    const listing = await a.get(`${M}/logged-models/${id}/artifacts/directories`).expect(200);
    expect(listing.body).toEqual({
      root_uri: info.artifact_uri,
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 12 },
        { path: 'data', is_dir: true },
      ],
    });
    const sub = await a.get(`${M}/logged-models/${id}/artifacts/directories`, { artifact_directory_path: 'data' }).expect(200);
    expect(sub.body.files).toEqual([{ path: 'data/model.pkl', is_dir: false, file_size: 5 }]);

    expect((await a.patch(`${M}/logged-models/${id}`, { status: 'LOGGED_MODEL_READY' }).expect(200)).body.model.info.status).toBe('LOGGED_MODEL_READY');
    await a.patch(`${M}/logged-models/${id}/tags`, { tags: [{ key: 'mlflow.modelVersions', value: '[]' }] }).expect(200);
    await a.post(`${M}/logged-models/${id}/params`, { params: [{ key: 'beta', value: '2' }] }).expect(200);
    const got = (await a.get(`${M}/logged-models/${id}`).expect(200)).body.model;
    expect(got.info.tags).toEqual([
      { key: 'k', value: 'v' },
      { key: 'mlflow.modelVersions', value: '[]' },
    ]);
    expect(got.data.params).toEqual([
      { key: 'alpha', value: '0.1' },
      { key: 'beta', value: '2' },
    ]);
    await a.delete(`${M}/logged-models/${id}/tags/k`).expect(200);
    expect((await a.delete(`${M}/logged-models/${id}/tags/k`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');

    const found = await a.post(`${M}/logged-models/search`, { experiment_ids: [exp], filter: "params.alpha = '0.1' AND name = 'clf'" }).expect(200);
    expect(found.body.models.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([id]);
    expect((await a.post(`${M}/logged-models/search`, { experiment_ids: [exp], filter: "name = 'other'" }).expect(200)).body).toEqual({});
  });

  it('registers a model version from a logged model and shows the registration', async () => {
    const a = t.as('alice');
    const id = (await a.post(`${M}/logged-models`, { experiment_id: exp, name: 'reg' }).expect(200)).body.model.info.model_id;
    await a.post(`${M}/registered-models/create`, { name: 'from-logged' }).expect(200);
    const v = await a.post(`${M}/model-versions/create`, { name: 'from-logged', source: `models:/${id}`, model_id: id }).expect(200);
    expect(v.body.model_version).toMatchObject({ version: '1', model_id: id });
    const got = (await a.get(`${M}/logged-models/${id}`).expect(200)).body.model;
    expect(got.info.registrations).toEqual([{ name: 'from-logged', version: '1' }]);
  });

  it("keeps the points logged with a model_id as the model's metrics, and searches and orders models by them", async () => {
    const a = t.as('alice');
    const e = (await a.post(`${M}/experiments/create`, { name: 'lm-metrics' }).expect(200)).body.experiment_id;
    const run = (await a.post(`${M}/runs/create`, { experiment_id: e }).expect(200)).body.run.info.run_id;
    const model = async (name: string) => (await a.post(`${M}/logged-models`, { experiment_id: e, name }).expect(200)).body.model.info.model_id as string;
    const [m1, m2, m3] = [await model('m1'), await model('m2'), await model('m3')];
    await a.post(`${M}/runs/log-metric`, { run_id: run, key: 'acc', value: 0.7, timestamp: 1000, step: 0, model_id: m1, dataset_name: 'val', dataset_digest: 'd1' }).expect(200);
    await a
      .post(`${M}/runs/log-batch`, {
        run_id: run,
        metrics: [
          { key: 'acc', value: 0.9, timestamp: 2000, step: 1, model_id: m1, dataset_name: 'val', dataset_digest: 'd1' },
          { key: 'acc', value: 0.8, timestamp: 1500, step: 0, model_id: m2, dataset_name: 'test' },
          { key: 'loss', value: 'NaN', timestamp: 1500, step: 0, model_id: m2 },
          { key: 'acc', value: 0.5, timestamp: 1700, step: 0 },
        ],
      })
      .expect(200);

    const metricsOf = async (id: string) => (await a.get(`${M}/logged-models/${id}`).expect(200)).body.model.data.metrics;
    expect(await metricsOf(m1)).toEqual([
      { key: 'acc', value: 0.7, timestamp: 1000, step: 0, run_id: run, model_id: m1, dataset_name: 'val', dataset_digest: 'd1' },
      { key: 'acc', value: 0.9, timestamp: 2000, step: 1, run_id: run, model_id: m1, dataset_name: 'val', dataset_digest: 'd1' },
    ]);
    expect(await metricsOf(m2)).toEqual([
      { key: 'acc', value: 0.8, timestamp: 1500, step: 0, run_id: run, model_id: m2, dataset_name: 'test' },
      { key: 'loss', value: 'NaN', timestamp: 1500, step: 0, run_id: run, model_id: m2 },
    ]);
    expect(await metricsOf(m3)).toBeUndefined();
    const history = (await a.get(`${M}/metrics/get-history`, { run_id: run, metric_key: 'acc' }).expect(200)).body.metrics;
    expect(history.map((p: { value: number }) => p.value)).toEqual([0.7, 0.8, 0.5, 0.9]);

    const search = async (body: object) =>
      ((await a.post(`${M}/logged-models/search`, { experiment_ids: [e], ...body }).expect(200)).body.models ?? []).map((m: { info: { name: string } }) => m.info.name);
    expect(await search({ filter: 'metrics.acc > 0.85' })).toEqual(['m1']);
    expect(await search({ filter: 'metrics.acc > 0.85', datasets: [{ dataset_name: 'test' }] })).toEqual([]);
    expect(await search({ filter: 'metrics.acc >= 0.8', datasets: [{ dataset_name: 'test' }] })).toEqual(['m2']);
    expect(await search({ datasets: [{ dataset_name: 'val', dataset_digest: 'd1' }] })).toEqual(['m1']);
    expect(await search({ filter: 'metrics.loss > 0' })).toEqual([]);
    expect(await search({ order_by: [{ field_name: 'metrics.acc', ascending: false }] })).toEqual(['m1', 'm2', 'm3']);
    expect(await search({ order_by: [{ field_name: 'metrics.acc', ascending: true }] })).toEqual(['m2', 'm1', 'm3']);
    expect(await search({ order_by: [{ field_name: 'metrics.acc', dataset_name: 'test' }] })).toEqual(['m2', 'm3', 'm1']);
  });

  it('refuses a point for a model that does not exist or that the caller may not edit, writing nothing', async () => {
    const run = (await t.as('alice').post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id;
    const unknown = `m-${'1'.repeat(32)}`;
    const missing = await t.as('alice').post(`${M}/runs/log-metric`, { run_id: run, key: 'lost', value: 1, timestamp: 1, model_id: unknown }).expect(404);
    expect(missing.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Logged model with ID '${unknown}' not found.` });
    expect((await t.as('alice').get(`${M}/metrics/get-history`, { run_id: run, metric_key: 'lost' }).expect(200)).body).toEqual({});

    const alices = (await t.as('alice').post(`${M}/logged-models`, { experiment_id: exp, name: 'not-bobs' }).expect(200)).body.model.info.model_id;
    const bobExp = (await t.as('bob').post(`${M}/experiments/create`, { name: 'bob-lm' }).expect(200)).body.experiment_id;
    const bobRun = (await t.as('bob').post(`${M}/runs/create`, { experiment_id: bobExp }).expect(200)).body.run.info.run_id;
    const denied = await t.as('bob').post(`${M}/runs/log-batch`, { run_id: bobRun, metrics: [{ key: 'acc', value: 1, timestamp: 1, model_id: alices }] });
    expect(denied.status).toBe(403);
    expect((await t.as('bob').get(`${M}/metrics/get-history`, { run_id: bobRun, metric_key: 'acc' }).expect(200)).body).toEqual({});
    expect((await t.as('alice').get(`${M}/logged-models/${alices}`).expect(200)).body.model.data).toEqual({});
  });

  it('answers 404 for unknown models, 400 for bad input, 403 without EDIT', async () => {
    const a = t.as('alice');
    expect((await a.get(`${M}/logged-models/m-${'0'.repeat(32)}`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await a.post(`${M}/logged-models`, {}).expect(400)).body.message).toContain("'experiment_id'");
    expect((await a.post(`${M}/logged-models/search`, { experiment_ids: [exp], max_results: 51 }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await a.post(`${M}/logged-models/search`, { experiment_ids: [exp], filter: "metrics.acc > 'high'" }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await a.post(`${M}/logged-models/search`, { experiment_ids: [exp], order_by: [{ field_name: 'params.alpha' }] }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const id = (await a.post(`${M}/logged-models`, { experiment_id: exp }).expect(200)).body.model.info.model_id;
    expect((await a.patch(`${M}/logged-models/${id}`, { status: 'DONE' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await t.container.prisma.permissionGrant.create({ data: { resourceType: 'experiment', resourceId: exp, principalType: 'user', principal: 'viewer', level: 'READ', createdAt: 0n } });
    await t.as('viewer').get(`${M}/logged-models/${id}`).expect(200);
    expect((await t.as('viewer').patch(`${M}/logged-models/${id}`, { status: 'LOGGED_MODEL_READY' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });
});
