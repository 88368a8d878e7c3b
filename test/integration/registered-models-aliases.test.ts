import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, getVersion, grant } from './registry-fixtures';

describe('registered models: aliases', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const setAlias = (user: string, name: string, alias: string, version: string) => t.as(user).post(`${API}/registered-models/alias`, { name, alias, version });

  it('sets an alias, shows it on the model and the version, and gets the version by alias', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    expect((await setAlias('alice', name, 'candidate', v).expect(200)).body).toEqual({});
    const model = (await alice.get(`${API}/registered-models/get`, { name })).body.registered_model;
    expect(model.aliases).toEqual([{ alias: 'candidate', version: '1' }]);
    expect((await getVersion(alice, name, v)).aliases).toEqual(['candidate']);
    const byAlias = await alice.get(`${API}/registered-models/alias`, { name, alias: 'candidate' }).expect(200);
    expect(byAlias.body.model_version).toMatchObject({ name, version: '1', aliases: ['candidate'] });
  });

  it('moves an existing alias to another version (one version per alias, many aliases per version)', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v1 = await createVersion(alice, name);
    const v2 = await createVersion(alice, name);
    await setAlias('alice', name, 'a', v1).expect(200);
    await setAlias('alice', name, 'b', v1).expect(200);
    expect((await getVersion(alice, name, v1)).aliases).toEqual(['a', 'b']);
    await setAlias('alice', name, 'a', v2).expect(200);
    expect((await getVersion(alice, name, v1)).aliases).toEqual(['b']);
    expect((await getVersion(alice, name, v2)).aliases).toEqual(['a']);
    const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    expect(await t.container.prisma.registeredModelAlias.count({ where: { modelId: model.id, alias: 'a' } })).toBe(1);
  });

  it('deletes an alias; the version stays; deleting a missing alias is a no-op', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    await setAlias('alice', name, 'gone', v).expect(200);
    await alice.delete(`${API}/registered-models/alias`, { name, alias: 'gone' }).expect(200);
    const res = await alice.get(`${API}/registered-models/alias`, { name, alias: 'gone' }).expect(404);
    expect(res.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered model alias gone not found.' });
    await alice.delete(`${API}/registered-models/alias`, { name, alias: 'gone' }).expect(200);
    await getVersion(alice, name, v);
  });

  it.each([
    ['latest', 'latest'],
    ['LATEST in any case', 'LaTeSt'],
    ['a version alias', 'v12'],
    ['an upper-case version alias', 'V3'],
    ['a dot', 'a.b'],
    ['a space', 'a b'],
    ['a slash', 'a/b'],
    ['256 characters', 'a'.repeat(256)],
  ])('rejects %s as an alias with 400 INVALID_PARAMETER_VALUE', async (_what, alias) => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    const res = await setAlias('alice', name, alias, v).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    expect(await t.container.prisma.registeredModelAlias.count({ where: { modelId: model.id } })).toBe(0);
  });

  it('answers the alias latest, in any case, with the highest version, as MLflow does (its prompt client asks for it)', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    expect((await alice.get(`${API}/registered-models/alias`, { name, alias: 'latest' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await createVersion(alice, name);
    await createVersion(alice, name);
    await alice.post(`${API}/model-versions/transition-stage`, { name, version: '1', stage: 'Production', archive_existing_versions: false }).expect(200);
    for (const alias of ['latest', 'LaTeSt']) {
      expect((await alice.get(`${API}/registered-models/alias`, { name, alias }).expect(200)).body.model_version).toMatchObject({ name, version: '2' });
    }
    expect((await alice.get(`${API}/registered-models/alias`, { name, alias: 'v1' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await alice.delete(`${API}/registered-models/alias`, { name, alias: 'v1' }).expect(200);
  });

  it('accepts 255 characters of letters, digits, _ and -', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    await setAlias('alice', name, 'A_b-9'.repeat(51), v).expect(200);
  });

  it('answers 404 for an unknown model or version', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    expect((await setAlias('alice', name, 'x', '3').expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await setAlias('alice', 'nope-w', 'x', '1').expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await alice.get(`${API}/registered-models/alias`, { name: 'nope-w', alias: 'x' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('needs MANAGE_STAGING for ordinary aliases and MANAGE_PRODUCTION for protected ones', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    await grant(t, name, 'bob', 'EDIT');
    expect((await setAlias('bob', name, 'candidate', v).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    await grant(t, name, 'bob', 'MANAGE_STAGING');
    await setAlias('bob', name, 'candidate', v).expect(200);
    await t.as('bob').delete(`${API}/registered-models/alias`, { name, alias: 'candidate' }).expect(200);
    for (const alias of ['champion', 'Production']) {
      expect((await setAlias('bob', name, alias, v).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    }
    await setAlias('alice', name, 'champion', v).expect(200);
    const del = await t.as('bob').delete(`${API}/registered-models/alias`, { name, alias: 'champion' }).expect(403);
    expect(del.body.error_code).toBe('PERMISSION_DENIED');
    await grant(t, name, 'bob', 'MANAGE_PRODUCTION');
    await setAlias('bob', name, 'champion', v).expect(200);
    await t.as('bob').delete(`${API}/registered-models/alias`, { name, alias: 'champion' }).expect(200);
  });
});
