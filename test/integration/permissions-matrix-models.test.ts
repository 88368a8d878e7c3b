import { Readable } from 'node:stream';
import { startTestApp } from '../helpers/test-app';
import { declareMatrixCases, fx, M } from './permissions-matrix/harness';
import { MODEL_BUILDERS, modelId } from './permissions-matrix/model-builders';
import { SERVING_BUILDERS } from './permissions-matrix/serving-builders';
import { WEBHOOK_BUILDERS } from './permissions-matrix/webhook-builders';

// The permission matrix (permissions-matrix/harness.ts) for the rules on registered models.
beforeAll(async () => {
  fx.t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
  fx.admin = fx.t.as();
  // A run whose artifacts hold the files of mx's Production version.
  fx.exp = (await fx.admin.post(`${M}/experiments/create`, { name: 'mx-main' }).expect(200)).body.experiment_id;
  const created = (await fx.admin.post(`${M}/runs/create`, { experiment_id: fx.exp }).expect(200)).body.run.info;
  fx.run = created.run_id;
  fx.runArtifactUri = created.artifact_uri;
  await fx.admin.post(`${M}/registered-models/create`, { name: 'mx' }).expect(200);
  fx.mx = await modelId('mx');
  // v1 stays in None; v2 is the Production version, with files to serve
  await fx.admin.post(`${M}/model-versions/create`, { name: 'mx', source: 's3://b/mx/1' }).expect(200);
  await fx.t.container.artifactStore.put(`${fx.exp}/${fx.run}/artifacts/model/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
  const v2 = (await fx.admin.post(`${M}/model-versions/create`, { name: 'mx', source: `runs:/${fx.run}/model` }).expect(200)).body.model_version.version;
  await fx.admin.post(`${M}/model-versions/transition-stage`, { name: 'mx', version: v2, stage: 'Production' }).expect(200);
  await fx.admin.post(`${M}/registered-models/alias`, { name: 'mx', alias: 'current', version: v2 }).expect(200);
  expect(v2).toBe('2');
}, 60_000);
afterAll(async () => {
  await fx.t?.close();
});

declareMatrixCases(MODEL_BUILDERS);
declareMatrixCases(SERVING_BUILDERS);
declareMatrixCases(WEBHOOK_BUILDERS);
