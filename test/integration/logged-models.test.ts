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
    expect(info).toMatchObject({ experiment_id: exp, name: 'clf', status: 'LOGGED_MODEL_PENDING', model_type: 'sklearn', source_run_id: run, artifact_uri: `mlflow-artifacts:/${exp}/models/${info.model_id}/artifacts`, tags: [{ key: 'k', value: 'v' }] });
    expect(created.body.model.data.params).toEqual([{ key: 'alpha', value: '0.1' }]);

    const id = info.model_id as string;
    await t.container.artifactStore.put(`${exp}/models/${id}/artifacts/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
    await t.container.artifactStore.put(`${exp}/models/${id}/artifacts/data/model.pkl`, Readable.from([Buffer.from('bytes')]));
    const listing = await a.get(`${M}/logged-models/${id}/artifacts/directories`).expect(200);
    expect(listing.body).toEqual({ root_uri: info.artifact_uri, files: [{ path: 'MLmodel', is_dir: false, file_size: 12 }, { path: 'data', is_dir: true }] });
    const sub = await a.get(`${M}/logged-models/${id}/artifacts/directories`, { artifact_directory_path: 'data' }).expect(200);
    expect(sub.body.files).toEqual([{ path: 'data/model.pkl', is_dir: false, file_size: 5 }]);

    expect((await a.patch(`${M}/logged-models/${id}`, { status: 'LOGGED_MODEL_READY' }).expect(200)).body.model.info.status).toBe('LOGGED_MODEL_READY');
    await a.patch(`${M}/logged-models/${id}/tags`, { tags: [{ key: 'mlflow.modelVersions', value: '[]' }] }).expect(200);
    await a.post(`${M}/logged-models/${id}/params`, { params: [{ key: 'beta', value: '2' }] }).expect(200);
    const got = (await a.get(`${M}/logged-models/${id}`).expect(200)).body.model;
    expect(got.info.tags).toEqual([{ key: 'k', value: 'v' }, { key: 'mlflow.modelVersions', value: '[]' }]);
    expect(got.data.params).toEqual([{ key: 'alpha', value: '0.1' }, { key: 'beta', value: '2' }]);
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

  it('answers 404 for unknown models, 400 for bad input, 403 without EDIT', async () => {
    const a = t.as('alice');
    expect((await a.get(`${M}/logged-models/m-${'0'.repeat(32)}`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await a.post(`${M}/logged-models`, {}).expect(400)).body.message).toContain("'experiment_id'");
    expect((await a.post(`${M}/logged-models/search`, { experiment_ids: [exp], max_results: 51 }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await a.post(`${M}/logged-models/search`, { experiment_ids: [exp], filter: 'metrics.acc > 1' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const id = (await a.post(`${M}/logged-models`, { experiment_id: exp }).expect(200)).body.model.info.model_id;
    expect((await a.patch(`${M}/logged-models/${id}`, { status: 'DONE' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await t.container.prisma.permissionGrant.create({ data: { resourceType: 'experiment', resourceId: exp, principalType: 'user', principal: 'viewer', level: 'READ', createdAt: 0n } });
    await t.as('viewer').get(`${M}/logged-models/${id}`).expect(200);
    expect((await t.as('viewer').patch(`${M}/logged-models/${id}`, { status: 'LOGGED_MODEL_READY' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });
});
