import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, grant, transition } from './registry-fixtures';

/**
 * USE (DESIGN.md § Permissions): a serving client may get the model and only the versions in
 * Production or behind a protected alias (production, champion by default), and their URIs.
 */
describe('model versions for callers holding exactly USE', () => {
  let t: TestApp;
  let name: string;
  const erin = { subject: 'erin', groups: [], isAdmin: false };

  beforeAll(async () => {
    t = await startTestApp();
    const alice = t.as('alice');
    name = await createModel(alice);
    for (let i = 0; i < 4; i++) await createVersion(alice, name, { source: `s3://b/m${i + 1}` });
    await transition(alice, name, '2', 'Production').expect(200);
    await transition(alice, name, '3', 'Staging').expect(200);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'champion', version: '3' }).expect(200);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'candidate', version: '4' }).expect(200);
    await grant(t, name, 'erin', 'USE');
  });
  afterAll(async () => {
    await t.close();
  });

  it('gets the model showing only visible versions and aliases', async () => {
    const res = await t.as('erin').get(`${API}/registered-models/get`, { name }).expect(200);
    const m = res.body.registered_model;
    expect(m.latest_versions.map((v: { version: string }) => v.version)).toEqual(['3', '2']);
    expect(m.aliases).toEqual([{ alias: 'champion', version: '3' }]);
    const full = await t.as('bob').get(`${API}/registered-models/get`, { name }).expect(200);
    expect(full.body.registered_model.latest_versions).toHaveLength(3);
  });

  it('gets and downloads Production and protected-alias versions, and is refused the others with 403', async () => {
    const erinApi = t.as('erin');
    await erinApi.get(`${API}/model-versions/get`, { name, version: '2' }).expect(200);
    const uri = await erinApi.get(`${API}/model-versions/get-download-uri`, { name, version: '3' }).expect(200);
    expect(uri.body.artifact_uri).toBe('s3://b/m3');
    for (const version of ['1', '4']) {
      const res = await erinApi.get(`${API}/model-versions/get`, { name, version }).expect(403);
      expect(res.body.error_code).toBe('PERMISSION_DENIED');
      await erinApi.get(`${API}/model-versions/get-download-uri`, { name, version }).expect(403);
    }
    await erinApi.get(`${API}/registered-models/alias`, { name, alias: 'champion' }).expect(200);
    expect((await erinApi.get(`${API}/registered-models/alias`, { name, alias: 'candidate' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });

  it('sees only visible versions in get-latest-versions', async () => {
    const res = await t.as('erin').post(`${API}/registered-models/get-latest-versions`, { name }).expect(200);
    expect(res.body.model_versions.map((v: { current_stage: string; version: string }) => [v.current_stage, v.version])).toEqual([
      ['Staging', '3'],
      ['Production', '2'],
    ]);
  });

  it('resolves selectors through modelVersions.resolve within the same rules', async () => {
    const mv = t.container.modelVersions;
    expect((await mv.resolve(erin, name, { stage: 'production' })).version).toBe(2);
    expect((await mv.resolve(erin, name, { alias: 'champion' })).version).toBe(3);
    expect((await mv.resolve(erin, name, { latest: true })).version).toBe(3);
    expect((await mv.resolve(erin, name, { version: 2 })).source).toBe('s3://b/m2');
    await expect(mv.resolve(erin, name, { stage: 'None' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(mv.resolve(erin, name, { version: 4 })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const bob = { subject: 'bob', groups: [], isAdmin: false };
    expect((await mv.resolve(bob, name, { latest: true })).version).toBe(4);
    expect((await mv.resolve(bob, name, { stage: 'None' })).version).toBe(4);
    await expect(mv.resolve(bob, name, { stage: 'bogus' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(mv.resolve(bob, name, { alias: 'nope' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('may not read the audit trail, tag, or transition', async () => {
    const erinApi = t.as('erin');
    await erinApi.get('/api/2.0/registry/audit', { name }).expect(403);
    await erinApi.post(`${API}/registered-models/set-tag`, { name, key: 'a', value: 'b' }).expect(403);
    await transition(erinApi, name, '2', 'Archived').expect(403);
  });

  it('does not list versions of USE-only models in search-model-versions', async () => {
    const res = await t.as('erin').get(`${API}/model-versions/search`).expect(200);
    const mine = (res.body.model_versions ?? []).filter((v: { name: string }) => v.name === name);
    expect(mine).toEqual([]);
    const models = await t.as('erin').get(`${API}/registered-models/search`).expect(200);
    const m = models.body.registered_models.find((x: { name: string }) => x.name === name);
    expect(m.latest_versions.map((v: { version: string }) => v.version)).toEqual(['3', '2']);
  });
});
