import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
const M = '/api/2.0/mlflow';
let exp: string;
beforeAll(async () => {
  t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
  exp = (await t.as('owner').post(`${M}/experiments/create`, { name: 'perm-exp' }).expect(200)).body.experiment_id;
  await t.as('owner').post(`${M}/registered-models/create`, { name: 'perm-model' }).expect(200);
});
afterAll(async () => {
  await t.close();
});

describe('experiment permissions', () => {
  it('lets the creator grant, read, update, list and delete grants in MLflow shape', async () => {
    const created = await t.as('owner').post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: 'bob', permission: 'READ' }).expect(200);
    expect(created.body).toEqual({ experiment_permission: { experiment_id: exp, user_id: 'bob', permission: 'READ' } });
    await t.as('bob').get(`${M}/experiments/get`, { experiment_id: exp }).expect(200);
    await t.as('owner').patch(`${M}/experiments/permissions/update`, { experiment_id: exp, username: 'bob', permission: 'EDIT' }).expect(200);
    const own = await t.as('bob').get(`${M}/experiments/permissions/get`, { experiment_id: exp, username: 'bob' }).expect(200);
    expect(own.body.experiment_permission.permission).toBe('EDIT');
    const list = await t.as('owner').get(`${M}/experiments/permissions/list`, { experiment_id: exp }).expect(200);
    expect(list.body.permissions).toEqual(
      expect.arrayContaining([
        { user_id: 'owner', permission: 'MANAGE' },
        { user_id: 'bob', permission: 'EDIT' },
      ]),
    );
    await t.as('owner').delete(`${M}/experiments/permissions/delete`, { experiment_id: exp, username: 'bob' }).expect(200);
    expect((await t.as('bob').get(`${M}/experiments/get`, { experiment_id: exp }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });

  it('grants to groups through the token groups claim', async () => {
    await t.as('owner').post(`${M}/experiments/permissions/create`, { experiment_id: exp, group: 'ml-team', permission: 'READ' }).expect(200);
    await t
      .as('carol', { groups: ['ml-team'] })
      .get(`${M}/experiments/get`, { experiment_id: exp })
      .expect(200);
    await t.as('carol').get(`${M}/experiments/get`, { experiment_id: exp }).expect(403);
  });

  it('refuses grant changes without MANAGE, duplicates, unknown grants and bad levels', async () => {
    await t.as('owner').post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: 'dave', permission: 'EDIT' }).expect(200);
    const denied = await t.as('dave').post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: 'eve', permission: 'READ' }).expect(403);
    expect(denied.body.message).toContain('MANAGE');
    expect((await t.as('owner').post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: 'dave', permission: 'READ' }).expect(400)).body.error_code).toBe(
      'RESOURCE_ALREADY_EXISTS',
    );
    expect((await t.as('owner').patch(`${M}/experiments/permissions/update`, { experiment_id: exp, username: 'nobody', permission: 'READ' }).expect(404)).body.error_code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect((await t.as('owner').post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: 'x', permission: 'MANAGE_PRODUCTION' }).expect(400)).body.error_code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect((await t.as('owner').post(`${M}/experiments/permissions/create`, { experiment_id: exp, permission: 'READ' }).expect(400)).body.message).toContain('username');
    expect((await t.as('dave').get(`${M}/experiments/permissions/get`, { experiment_id: exp, username: 'owner' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });
});

describe('registered model permissions', () => {
  it('accepts our, MLflow and Databricks level names and audits every change and denial', async () => {
    await t.as('owner').post(`${M}/registered-models/permissions/create`, { name: 'perm-model', username: 'ops', permission: 'CAN_MANAGE_PRODUCTION_VERSIONS' }).expect(200);
    const got = await t.as('owner').get(`${M}/registered-models/permissions/get`, { name: 'perm-model', username: 'ops' }).expect(200);
    expect(got.body).toEqual({ registered_model_permission: { name: 'perm-model', user_id: 'ops', permission: 'MANAGE_PRODUCTION' } });
    await t.as('owner').patch(`${M}/registered-models/permissions/update`, { name: 'perm-model', username: 'ops', permission: 'use' }).expect(200);
    await t.as('ops').delete(`${M}/registered-models/delete`, { name: 'perm-model' }).expect(403);
    await t.as('owner').delete(`${M}/registered-models/permissions/delete`, { name: 'perm-model', username: 'ops' }).expect(200);
    const audit = await t.as('owner').get('/api/2.0/registry/audit', { name: 'perm-model' }).expect(200);
    const actions = audit.body.events.map((e: { action: string }) => e.action);
    expect(actions.slice(0, 4)).toEqual(['grant_deleted', 'permission_denied', 'grant_updated', 'grant_created']);
    const updated = audit.body.events[2];
    expect(updated).toMatchObject({ actor: 'owner', before: { principal: 'ops', permission: 'MANAGE_PRODUCTION' }, after: { permission: 'USE' } });
    expect(audit.body.events[1]).toMatchObject({ actor: 'ops', after: { required: 'MANAGE' } });
  });

  it('answers 404 for an unknown model', async () => {
    expect((await t.as('owner').get(`${M}/registered-models/permissions/list`, { name: 'nope' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('denials inside registry rules', () => {
  it('records a refused promotion to Production by a MANAGE_STAGING user', async () => {
    await t.as('owner').post(`${M}/registered-models/create`, { name: 'promo' }).expect(200);
    await t.as('owner').post(`${M}/model-versions/create`, { name: 'promo', source: 's3://b/promo/1' }).expect(200);
    await t.as('owner').post(`${M}/registered-models/permissions/create`, { name: 'promo', username: 'stager', permission: 'MANAGE_STAGING' }).expect(200);
    await t.as('stager').post(`${M}/model-versions/transition-stage`, { name: 'promo', version: '1', stage: 'Staging' }).expect(200);
    const denied = await t.as('stager').post(`${M}/model-versions/transition-stage`, { name: 'promo', version: '1', stage: 'Production' }).expect(403);
    expect(denied.body.message).toContain('MANAGE_PRODUCTION');
    const audit = await t.as('owner').get('/api/2.0/registry/audit', { name: 'promo' }).expect(200);
    expect(audit.body.events[0]).toMatchObject({ action: 'permission_denied', actor: 'stager', before: { permission: 'MANAGE_STAGING' }, after: { required: 'MANAGE_PRODUCTION' } });
    expect((await t.as('owner').get(`${M}/model-versions/get`, { name: 'promo', version: '1' })).body.model_version.current_stage).toBe('Staging');
  });
});
