import { startTestApp } from '../helpers/test-app';
import { declareMatrixCases, fx, M } from './permissions-matrix/harness';
import { GOVERNANCE_BUILDERS } from './permissions-matrix/governance-builders';
import { modelId } from './permissions-matrix/model-builders';

// The permission matrix (permissions-matrix/harness.ts) for promotion requests, approval
// policies, comments and the activity feed.
beforeAll(async () => {
  fx.t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
  fx.admin = fx.t.as();
  await fx.admin.post(`${M}/registered-models/create`, { name: 'gx' }).expect(200);
  fx.mx = await modelId('gx');
  await fx.admin.post(`${M}/model-versions/create`, { name: 'gx', source: 's3://b/gx/1' }).expect(200);
}, 60_000);
afterAll(async () => {
  await fx.t?.close();
});

declareMatrixCases(GOVERNANCE_BUILDERS);
