import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, getVersion, grant, transition } from './registry-fixtures';

describe('model versions: stage transitions and get-latest-versions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts stage names in any case and returns them canonically, bumping model and version timestamps', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    const before = await getVersion(alice, name, v);
    await new Promise((r) => setTimeout(r, 5));
    const res = await transition(alice, name, v, 'sTaGiNg').expect(200);
    expect(res.body.model_version).toMatchObject({ version: v, current_stage: 'Staging' });
    expect(res.body.model_version.last_updated_timestamp).toBeGreaterThan(before.last_updated_timestamp);
    const model = (await alice.get(`${API}/registered-models/get`, { name })).body.registered_model;
    expect(model.last_updated_timestamp).toBe(res.body.model_version.last_updated_timestamp);
    expect((await getVersion(alice, name, v)).current_stage).toBe('Staging');
  });

  it('answers 400 INVALID_PARAMETER_VALUE for an invalid stage and leaves the version alone', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    const res = await transition(alice, name, v, 'Deleted_Internal').expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await transition(alice, name, v, 'prod').expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await getVersion(alice, name, v)).current_stage).toBe('None');
  });

  it('refuses archive_existing_versions for None and Archived with 400', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    for (const stage of ['None', 'Archived']) {
      const res = await transition(alice, name, v, stage, true).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('archives the other versions of the target stage only when asked', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const [v1, v2, v3] = [await createVersion(alice, name), await createVersion(alice, name), await createVersion(alice, name)];
    await transition(alice, name, v1, 'Production').expect(200);
    await transition(alice, name, v2, 'Production').expect(200);
    expect((await getVersion(alice, name, v1)).current_stage).toBe('Production');
    await transition(alice, name, v3, 'Staging').expect(200);
    await transition(alice, name, v3, 'Production', true).expect(200);
    expect((await getVersion(alice, name, v1)).current_stage).toBe('Archived');
    expect((await getVersion(alice, name, v2)).current_stage).toBe('Archived');
    expect((await getVersion(alice, name, v3)).current_stage).toBe('Production');
  });

  it('answers 404 for transitions of unknown models or versions', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    expect((await transition(alice, name, '5', 'Staging').expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await transition(alice, 'nope-q', '1', 'Staging').expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('gives per stage the highest version number, for POST and GET, all four stages by default', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    for (let i = 0; i < 5; i++) await createVersion(alice, name);
    await transition(alice, name, '1', 'Production').expect(200);
    await transition(alice, name, '2', 'Production').expect(200);
    await transition(alice, name, '3', 'Staging').expect(200);
    await transition(alice, name, '4', 'Archived').expect(200);
    const all = await alice.post(`${API}/registered-models/get-latest-versions`, { name }).expect(200);
    expect(all.body.model_versions.map((v: { version: string; current_stage: string }) => [v.current_stage, v.version])).toEqual([
      ['None', '5'],
      ['Staging', '3'],
      ['Production', '2'],
      ['Archived', '4'],
    ]);
    const some = await alice.get(`${API}/registered-models/get-latest-versions`, { name, stages: ['production', 'None'] }).expect(200);
    expect(some.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2', '5']);
    const one = await alice.get(`${API}/registered-models/get-latest-versions`, { name, stages: 'Staging' }).expect(200);
    expect(one.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['3']);
    const model = (await alice.get(`${API}/registered-models/get`, { name })).body.registered_model;
    expect(model.latest_versions).toEqual(all.body.model_versions);
    const bad = await alice.post(`${API}/registered-models/get-latest-versions`, { name, stages: ['Nope'] }).expect(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const empty = await alice.post(`${API}/registered-models/get-latest-versions`, { name: await createModel(alice) }).expect(200);
    expect(empty.body).toEqual({});
  });

  describe('levels for transitions', () => {
    let name: string;
    beforeEach(async () => {
      const alice = t.as('alice');
      name = await createModel(alice);
      await createVersion(alice, name);
      await createVersion(alice, name);
    });

    it('EDIT may not transition at all', async () => {
      await grant(t, name, 'bob', 'EDIT');
      expect((await transition(t.as('bob'), name, '1', 'Staging').expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    });

    it('MANAGE_STAGING moves None ↔ Staging ↔ Archived but not to or from Production, nor None → Archived', async () => {
      await grant(t, name, 'bob', 'MANAGE_STAGING');
      const bob = t.as('bob');
      await transition(bob, name, '1', 'Staging').expect(200);
      await transition(bob, name, '1', 'None').expect(200);
      await transition(bob, name, '1', 'Staging').expect(200);
      await transition(bob, name, '1', 'Archived').expect(200);
      await transition(bob, name, '1', 'Staging').expect(200);
      expect((await transition(bob, name, '1', 'Production').expect(403)).body.error_code).toBe('PERMISSION_DENIED');
      expect((await transition(bob, name, '2', 'Archived').expect(403)).body.error_code).toBe('PERMISSION_DENIED');
      await transition(t.as('alice'), name, '2', 'Production').expect(200);
      expect((await transition(bob, name, '2', 'Staging').expect(403)).body.error_code).toBe('PERMISSION_DENIED');
      expect((await getVersion(bob, name, '2')).current_stage).toBe('Production');
    });

    it('MANAGE_PRODUCTION moves to and from Production, with archiving', async () => {
      await grant(t, name, 'bob', 'MANAGE_PRODUCTION');
      const bob = t.as('bob');
      await transition(bob, name, '1', 'Production').expect(200);
      await transition(bob, name, '2', 'Production', true).expect(200);
      expect((await getVersion(bob, name, '1')).current_stage).toBe('Archived');
      await transition(bob, name, '2', 'None').expect(200);
    });
  });
});
