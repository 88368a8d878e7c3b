import { startTestApp, type TestApp } from '../helpers/test-app';
import { AJAX, API, createModel, createVersion, grant, uniqueName } from './registry-fixtures';

describe('registered models: create, get, rename, update, delete, tags', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a model with tags and description and returns it in MLflow shape', async () => {
    const name = uniqueName();
    const res = await t
      .as('alice')
      .post(`${API}/registered-models/create`, { name, description: 'churn model', tags: [{ key: 'team', value: 'ml' }] })
      .expect(200);
    const m = res.body.registered_model;
    expect(m).toEqual({
      name,
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      user_id: 'alice',
      description: 'churn model',
      tags: [{ key: 'team', value: 'ml' }],
    });
    const got = await t.as('alice').get(`${AJAX}/registered-models/get`, { name }).expect(200);
    expect(got.body.registered_model).toEqual(m);
    const row = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    const grants = await t.container.prisma.permissionGrant.findMany({ where: { resourceId: String(row.id) } });
    expect(grants).toEqual([expect.objectContaining({ principal: 'alice', level: 'MANAGE', resourceType: 'registered_model' })]);
  });

  it('answers RESOURCE_ALREADY_EXISTS (400) for a duplicate name', async () => {
    const name = await createModel(t.as('alice'));
    const res = await t.as('bob').post(`${API}/registered-models/create`, { name }).expect(400);
    expect(res.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('answers INVALID_PARAMETER_VALUE for a missing name and for a bad tag key', async () => {
    const missing = await t.as('alice').post(`${API}/registered-models/create`, {}).expect(400);
    expect(missing.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining("Missing value for required parameter 'name'"),
    });
    const badTag = await t
      .as('alice')
      .post(`${API}/registered-models/create`, { name: uniqueName(), tags: [{ key: '../x', value: 'v' }] })
      .expect(400);
    expect(badTag.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('keeps the last value of a tag key given twice on create', async () => {
    const name = uniqueName();
    const tags = [
      { key: 'k', value: '1' },
      { key: 'k', value: '2' },
    ];
    const res = await t.as('alice').post(`${API}/registered-models/create`, { name, tags }).expect(200);
    expect(res.body.registered_model.tags).toEqual([{ key: 'k', value: '2' }]);
    const v = await t.as('alice').post(`${API}/model-versions/create`, { name, source: 's3://b/m', tags }).expect(200);
    expect(v.body.model_version.tags).toEqual([{ key: 'k', value: '2' }]);
  });

  it('answers RESOURCE_DOES_NOT_EXIST (404) for an unknown model', async () => {
    const res = await t.as('alice').get(`${API}/registered-models/get`, { name: 'nope-nope' }).expect(404);
    expect(res.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=nope-nope not found' });
  });

  it('renames a model keeping its id, versions, tags, aliases and grants', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice, uniqueName(), { tags: [{ key: 'k', value: 'v' }] });
    const v = await createVersion(alice, name);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'candidate', version: v }).expect(200);
    await grant(t, name, 'carol', 'EDIT');
    const before = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    const newName = uniqueName('renamed');
    const res = await alice.post(`${API}/registered-models/rename`, { name, new_name: newName }).expect(200);
    expect(res.body.registered_model).toMatchObject({
      name: newName,
      tags: [{ key: 'k', value: 'v' }],
      aliases: [{ alias: 'candidate', version: '1' }],
      latest_versions: [expect.objectContaining({ name: newName, version: '1', aliases: ['candidate'] })],
    });
    const after = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name: newName } });
    expect(after.id).toBe(before.id);
    await t.as('carol').post(`${API}/registered-models/set-tag`, { name: newName, key: 'x', value: 'y' }).expect(200);
    const old = await alice.get(`${API}/registered-models/get`, { name }).expect(404);
    expect(old.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses a rename onto an existing name with RESOURCE_ALREADY_EXISTS and changes nothing', async () => {
    const alice = t.as('alice');
    const a = await createModel(alice);
    const b = await createModel(alice);
    const res = await alice.post(`${API}/registered-models/rename`, { name: a, new_name: b }).expect(400);
    expect(res.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    await alice.get(`${API}/registered-models/get`, { name: a }).expect(200);
  });

  it('updates the description, bumps last_updated_timestamp, and clears it when unset', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const created = (await alice.get(`${API}/registered-models/get`, { name })).body.registered_model;
    await new Promise((r) => setTimeout(r, 5));
    const res = await alice.patch(`${API}/registered-models/update`, { name, description: 'new text' }).expect(200);
    expect(res.body.registered_model.description).toBe('new text');
    expect(res.body.registered_model.last_updated_timestamp).toBeGreaterThan(created.last_updated_timestamp);
    const cleared = await alice.patch(`${API}/registered-models/update`, { name }).expect(200);
    expect(cleared.body.registered_model.description).toBeUndefined();
  });

  it('sets (upserts) and deletes tags; deleting a missing tag is a no-op', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    await alice.post(`${API}/registered-models/set-tag`, { name, key: 'stage', value: 'a' }).expect(200);
    await alice.post(`${API}/registered-models/set-tag`, { name, key: 'stage', value: 'b' }).expect(200);
    let m = (await alice.get(`${API}/registered-models/get`, { name })).body.registered_model;
    expect(m.tags).toEqual([{ key: 'stage', value: 'b' }]);
    await alice.delete(`${API}/registered-models/delete-tag`, { name, key: 'stage' }).expect(200);
    await alice.delete(`${API}/registered-models/delete-tag`, { name, key: 'stage' }).expect(200);
    m = (await alice.get(`${API}/registered-models/get`, { name })).body.registered_model;
    expect(m.tags).toBeUndefined();
    const missing = await alice.post(`${API}/registered-models/set-tag`, { name: 'nope-x', key: 'a', value: 'b' }).expect(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('deletes a model with its versions, tags, aliases and grants', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice, uniqueName(), { tags: [{ key: 'k', value: 'v' }] });
    const v = await createVersion(alice, name);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'a1', version: v }).expect(200);
    const row = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    await alice.delete(`${API}/registered-models/delete`, { name }).expect(200);
    const p = t.container.prisma;
    expect(await p.registeredModel.count({ where: { id: row.id } })).toBe(0);
    expect(await p.modelVersion.count({ where: { modelId: row.id } })).toBe(0);
    expect(await p.registeredModelAlias.count({ where: { modelId: row.id } })).toBe(0);
    expect(await p.registeredModelTag.count({ where: { modelId: row.id } })).toBe(0);
    expect(await p.permissionGrant.count({ where: { resourceType: 'registered_model', resourceId: String(row.id) } })).toBe(0);
    const again = await alice.delete(`${API}/registered-models/delete`, { name }).expect(404);
    expect(again.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('enforces levels: READ may get, EDIT may tag and describe, only MANAGE may rename or delete', async () => {
    const name = await createModel(t.as('alice'));
    const bob = t.as('bob'); // default level READ
    await bob.get(`${API}/registered-models/get`, { name }).expect(200);
    const tag = await bob.post(`${API}/registered-models/set-tag`, { name, key: 'a', value: 'b' }).expect(403);
    expect(tag.body.error_code).toBe('PERMISSION_DENIED');
    await grant(t, name, 'bob', 'EDIT');
    await bob.post(`${API}/registered-models/set-tag`, { name, key: 'a', value: 'b' }).expect(200);
    await bob.patch(`${API}/registered-models/update`, { name, description: 'd' }).expect(200);
    await grant(t, name, 'bob', 'MANAGE_PRODUCTION');
    expect((await bob.post(`${API}/registered-models/rename`, { name, new_name: uniqueName() }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    expect((await bob.delete(`${API}/registered-models/delete`, { name }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    await grant(t, name, 'dave', 'NO_PERMISSIONS');
    expect((await t.as('dave').get(`${API}/registered-models/get`, { name }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });
});
