import { Readable } from 'node:stream';
import type request from 'supertest';
import { ENDPOINT_LEVELS, type EndpointLevel } from '../../src/modules/permissions/endpoint-levels';
import { atLeast, EXPERIMENT_LEVELS, type Level, MODEL_LEVELS } from '../../src/modules/permissions/permission-levels';
import { type ApiClient, startTestApp, type TestApp } from '../helpers/test-app';

// Every endpoint of src/modules/permissions/endpoint-levels.ts × every level of its resource type:
// allowed (not 403) at or above the table's level, 403 PERMISSION_DENIED below it.
const M = '/api/2.0/mlflow';
const A = '/api/2.0/mlflow-artifacts/artifacts';
const R = '/api/2.0/registry';

let t: TestApp;
let admin: ApiClient;
let exp: string;
let run: string;
let loggedModel: string;
let modelVersionCount = 0;
let seq = 0;
const next = () => ++seq;

interface Target {
  resourceId: string;
  call(c: ApiClient): request.Test;
}
type Builder = () => Promise<Target>;

async function newExperiment(): Promise<string> {
  return (await admin.post(`${M}/experiments/create`, { name: `mx-exp-${next()}` }).expect(200)).body.experiment_id;
}
async function newRun(): Promise<string> {
  return (await admin.post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id;
}
async function newModel(): Promise<{ name: string; id: string }> {
  const name = `mx-model-${next()}`;
  await admin.post(`${M}/registered-models/create`, { name }).expect(200);
  return { name, id: await modelId(name) };
}
async function modelId(name: string): Promise<string> {
  return String((await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } })).id);
}
async function newVersion(stage?: string): Promise<string> {
  const v = (await admin.post(`${M}/model-versions/create`, { name: 'mx', source: `s3://b/mx/${next()}` }).expect(200)).body.model_version.version;
  if (stage) await admin.post(`${M}/model-versions/transition-stage`, { name: 'mx', version: v, stage }).expect(200);
  modelVersionCount += 1;
  return v;
}
const put = (c: ApiClient, path: string, body: string) => t.http.put(path).set('Authorization', `Bearer ${c.token}`).set('Content-Type', 'text/plain').send(body);

const onExp = (call: (c: ApiClient) => request.Test): Builder => async () => ({ resourceId: exp, call });
let mx = '';
const onModel = (call: (c: ApiClient) => request.Test): Builder => async () => ({ resourceId: mx, call });

const BUILDERS: Record<string, Builder> = {
  'experiments.get': onExp((c) => c.get(`${M}/experiments/get`, { experiment_id: exp })),
  'experiments.get-by-name': onExp((c) => c.get(`${M}/experiments/get-by-name`, { experiment_name: 'mx-main' })),
  'experiments.update': async () => {
    const id = await newExperiment();
    return { resourceId: id, call: (c) => c.post(`${M}/experiments/update`, { experiment_id: id, new_name: `mx-renamed-${next()}` }) };
  },
  'experiments.set-experiment-tag': onExp((c) => c.post(`${M}/experiments/set-experiment-tag`, { experiment_id: exp, key: 'k', value: 'v' })),
  'experiments.delete-experiment-tag': async () => {
    const key = `t${next()}`;
    await admin.post(`${M}/experiments/set-experiment-tag`, { experiment_id: exp, key, value: 'v' }).expect(200);
    return { resourceId: exp, call: (c) => c.post(`${M}/experiments/delete-experiment-tag`, { experiment_id: exp, key }) };
  },
  'experiments.delete': async () => {
    const id = await newExperiment();
    return { resourceId: id, call: (c) => c.post(`${M}/experiments/delete`, { experiment_id: id }) };
  },
  'experiments.restore': async () => {
    const id = await newExperiment();
    await admin.post(`${M}/experiments/delete`, { experiment_id: id }).expect(200);
    return { resourceId: id, call: (c) => c.post(`${M}/experiments/restore`, { experiment_id: id }) };
  },
  'runs.create': onExp((c) => c.post(`${M}/runs/create`, { experiment_id: exp })),
  'runs.get': onExp((c) => c.get(`${M}/runs/get`, { run_id: run })),
  'runs.update': onExp((c) => c.post(`${M}/runs/update`, { run_id: run, status: 'RUNNING' })),
  'runs.log-metric': onExp((c) => c.post(`${M}/runs/log-metric`, { run_id: run, key: 'm', value: 1, timestamp: next() })),
  'runs.log-parameter': onExp((c) => c.post(`${M}/runs/log-parameter`, { run_id: run, key: `p${next()}`, value: 'v' })),
  'runs.log-batch': onExp((c) => c.post(`${M}/runs/log-batch`, { run_id: run, metrics: [{ key: 'b', value: 1, timestamp: next() }] })),
  'runs.set-tag': onExp((c) => c.post(`${M}/runs/set-tag`, { run_id: run, key: 't', value: 'v' })),
  'runs.log-inputs': onExp((c) => c.post(`${M}/runs/log-inputs`, { run_id: run, datasets: [] })),
  'runs.outputs': onExp((c) => c.post(`${M}/runs/outputs`, { run_id: run, models: [] })),
  'runs.delete': async () => {
    const id = await newRun();
    return { resourceId: exp, call: (c) => c.post(`${M}/runs/delete`, { run_id: id }) };
  },
  'runs.restore': async () => {
    const id = await newRun();
    await admin.post(`${M}/runs/delete`, { run_id: id }).expect(200);
    return { resourceId: exp, call: (c) => c.post(`${M}/runs/restore`, { run_id: id }) };
  },
  'metrics.get-history': onExp((c) => c.get(`${M}/metrics/get-history`, { run_id: run, metric_key: 'm' })),
  'artifacts.list': onExp((c) => c.get(`${M}/artifacts/list`, { run_id: run })),
  'mlflow-artifacts.get': onExp((c) => c.get(`${A}/${exp}/${run}/artifacts/f.txt`)),
  'mlflow-artifacts.list': onExp((c) => c.get(A, { path: `${exp}/${run}/artifacts` })),
  'mlflow-artifacts.put': onExp((c) => put(c, `${A}/${exp}/${run}/artifacts/up-${next()}.txt`, 'x')),
  'mlflow-artifacts.delete': async () => {
    const key = `${exp}/${run}/artifacts/del-${next()}.txt`;
    await t.container.artifactStore.put(key, Readable.from([Buffer.from('x')]));
    return { resourceId: exp, call: (c) => c.delete(`${A}/${key}`) };
  },
  'logged-models.create': onExp((c) => c.post(`${M}/logged-models`, { experiment_id: exp })),
  'logged-models.get': onExp((c) => c.get(`${M}/logged-models/${loggedModel}`)),
  'experiments.permissions.list': onExp((c) => c.get(`${M}/experiments/permissions/list`, { experiment_id: exp })),
  'experiments.permissions.create': onExp((c) => c.post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: `someone-${next()}`, permission: 'READ' })),
  'registry.audit.experiment': onExp((c) => c.get(`${R}/audit`, { experiment_id: exp })),

  'registered-models.get': onModel((c) => c.get(`${M}/registered-models/get`, { name: 'mx' })),
  'registered-models.get-latest-versions': onModel((c) => c.post(`${M}/registered-models/get-latest-versions`, { name: 'mx' })),
  'registered-models.update': onModel((c) => c.patch(`${M}/registered-models/update`, { name: 'mx', description: 'd' })),
  'registered-models.set-tag': onModel((c) => c.post(`${M}/registered-models/set-tag`, { name: 'mx', key: 'k', value: 'v' })),
  'registered-models.alias.set': onModel((c) => c.post(`${M}/registered-models/alias`, { name: 'mx', alias: `a${next()}`, version: '1' })),
  'registered-models.alias.set-protected': onModel((c) => c.post(`${M}/registered-models/alias`, { name: 'mx', alias: 'champion', version: '2' })),
  'registered-models.rename': async () => {
    const m = await newModel();
    return { resourceId: m.id, call: (c) => c.post(`${M}/registered-models/rename`, { name: m.name, new_name: `${m.name}-renamed` }) };
  },
  'registered-models.delete': async () => {
    const m = await newModel();
    return { resourceId: m.id, call: (c) => c.delete(`${M}/registered-models/delete`, { name: m.name }) };
  },
  'model-versions.create': onModel((c) => c.post(`${M}/model-versions/create`, { name: 'mx', source: `s3://b/mx/new-${next()}` })),
  'model-versions.get.production': onModel((c) => c.get(`${M}/model-versions/get`, { name: 'mx', version: '2' })),
  'model-versions.get.none': onModel((c) => c.get(`${M}/model-versions/get`, { name: 'mx', version: '1' })),
  'model-versions.get-download-uri': onModel((c) => c.get(`${M}/model-versions/get-download-uri`, { name: 'mx', version: '2' })),
  'model-versions.update': onModel((c) => c.patch(`${M}/model-versions/update`, { name: 'mx', version: '1', description: 'd' })),
  'model-versions.transition-stage.staging': async () => {
    const v = await newVersion();
    return { resourceId: mx, call: (c) => c.post(`${M}/model-versions/transition-stage`, { name: 'mx', version: v, stage: 'Staging' }) };
  },
  'model-versions.transition-stage.production': async () => {
    const v = await newVersion('Staging');
    return { resourceId: mx, call: (c) => c.post(`${M}/model-versions/transition-stage`, { name: 'mx', version: v, stage: 'Production' }) };
  },
  'model-versions.delete': async () => {
    const v = await newVersion();
    return { resourceId: mx, call: (c) => c.delete(`${M}/model-versions/delete`, { name: 'mx', version: v }) };
  },
  'registered-models.permissions.list': onModel((c) => c.get(`${M}/registered-models/permissions/list`, { name: 'mx' })),
  'registry.audit.model': onModel((c) => c.get(`${R}/audit`, { name: 'mx' })),
  'registry.archive.production': onModel((c) => c.get(`${R}/models/mx/Production/archive`)),
};

beforeAll(async () => {
  t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
  admin = t.as();
  exp = (await admin.post(`${M}/experiments/create`, { name: 'mx-main' }).expect(200)).body.experiment_id;
  run = await newRun();
  await admin.post(`${M}/runs/log-metric`, { run_id: run, key: 'm', value: 1, timestamp: 1 }).expect(200);
  await t.container.artifactStore.put(`${exp}/${run}/artifacts/f.txt`, Readable.from([Buffer.from('hello')]));
  loggedModel = (await admin.post(`${M}/logged-models`, { experiment_id: exp }).expect(200)).body.model.info.model_id;
  await admin.post(`${M}/registered-models/create`, { name: 'mx' }).expect(200);
  mx = await modelId('mx');
  // v1 stays in None; v2 is the Production version, with files to serve
  await newVersion();
  await t.container.artifactStore.put(`${exp}/${run}/artifacts/model/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
  const v2 = (await admin.post(`${M}/model-versions/create`, { name: 'mx', source: `runs:/${run}/model` }).expect(200)).body.model_version.version;
  await admin.post(`${M}/model-versions/transition-stage`, { name: 'mx', version: v2, stage: 'Production' }).expect(200);
  expect(v2).toBe('2');
  expect(modelVersionCount).toBe(1);
}, 60_000);
afterAll(async () => {
  await t.close();
});

it('has a request for every endpoint of the table', () => {
  expect(ENDPOINT_LEVELS.filter((e) => e.resource !== 'none' && !BUILDERS[e.key]).map((e) => e.key)).toEqual([]);
});

it('lets a user without any grant create experiments and registered models', async () => {
  await t.as('nobody').post(`${M}/experiments/create`, { name: 'mx-by-nobody' }).expect(200);
  await t.as('nobody').post(`${M}/registered-models/create`, { name: 'mx-by-nobody' }).expect(200);
});

const rows = ENDPOINT_LEVELS.filter((e): e is EndpointLevel & { resource: 'experiment' | 'registered_model' } => e.resource !== 'none');
const cases = rows.flatMap((row) => (row.resource === 'experiment' ? EXPERIMENT_LEVELS : MODEL_LEVELS).map((level) => [row.key, level, row] as const));

it.each(cases)('%s with %s', async (key, level: Level, row) => {
  const target = await BUILDERS[key]!();
  const user = `u-${key}-${level}`;
  await t.container.prisma.permissionGrant.create({
    data: { resourceType: row.resource, resourceId: target.resourceId, principalType: 'user', principal: user, level, createdAt: 0n },
  });
  const res = await target.call(t.as(user, {}));
  if (atLeast(level, row.level)) {
    expect({ status: res.status, body: res.status === 403 ? res.body : undefined }).not.toMatchObject({ status: 403 });
    expect(res.status).toBeLessThan(500);
  } else {
    expect({ status: res.status, error_code: res.body?.error_code }).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
  }
});
