import { startTestApp, type TestApp } from '../helpers/test-app';
import { AJAX, API, createModel, createRun, createVersion, getVersion, grant, uniqueName } from './registry-fixtures';

describe('model versions: create, sources, get, update, delete, tags, download URI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates version 1, 2, ... in MLflow shape, READY in stage None, and bumps the model timestamp', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const run = await createRun(t, 'alice');
    const res = await alice
      .post(`${API}/model-versions/create`, {
        name,
        source: `runs:/${run.runId}/model`,
        run_id: run.runId,
        run_link: 'http://ui/run',
        description: 'first',
        tags: [{ key: 'owner', value: 'ml' }],
      })
      .expect(200);
    expect(res.body.model_version).toEqual({
      name,
      version: '1',
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      user_id: 'alice',
      current_stage: 'None',
      description: 'first',
      source: `runs:/${run.runId}/model`,
      run_id: run.runId,
      status: 'READY',
      tags: [{ key: 'owner', value: 'ml' }],
      run_link: 'http://ui/run',
    });
    expect(await createVersion(alice, name)).toBe('2');
    const model = (await alice.get(`${API}/registered-models/get`, { name })).body.registered_model;
    expect(model.last_updated_timestamp).toBeGreaterThanOrEqual(res.body.model_version.creation_timestamp);
    expect(await getVersion(alice, name, '1')).toEqual(res.body.model_version);
  });

  it("stores a runs:/ source's storage location and returns it from get-download-uri", async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const run = await createRun(t, 'alice');
    const v = await createVersion(alice, name, { source: `runs:/${run.runId}/sub/model` });
    const res = await alice.get(`${AJAX}/model-versions/get-download-uri`, { name, version: v }).expect(200);
    expect(res.body).toEqual({ artifact_uri: `${run.artifactUri}/sub/model` });
    const plain = await createVersion(alice, name, { source: 's3://bucket/path/model' });
    const uri = await alice.get(`${API}/model-versions/get-download-uri`, { name, version: plain }).expect(200);
    expect(uri.body.artifact_uri).toBe('s3://bucket/path/model');
  });

  it('resolves a models:/ source to the storage location of the version it names', async () => {
    const alice = t.as('alice');
    const run = await createRun(t, 'alice');
    const first = await createModel(alice);
    await createVersion(alice, first, { source: `runs:/${run.runId}/model` });
    await alice.post(`${API}/registered-models/alias`, { name: first, alias: 'best', version: '1' }).expect(200);
    const second = await createModel(alice);
    for (const source of [`models:/${first}/1`, `models:/${first}@best`, `models:/${first}/latest`]) {
      const v = await createVersion(alice, second, { source });
      const res = await alice.get(`${API}/model-versions/get-download-uri`, { name: second, version: v }).expect(200);
      expect(res.body.artifact_uri).toBe(`${run.artifactUri}/model`);
    }
    const missing = await alice.post(`${API}/model-versions/create`, { name: second, source: `models:/${first}/9` }).expect(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('registers an MLflow 3 logged model (models:/m-…) at its artifact location and reports its model_id', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const run = await createRun(t, 'alice');
    const id = `m-${'ab'.repeat(16)}`;
    const artifactLocation = `mlflow-artifacts:/${run.experimentId}/models/${id}/artifacts`;
    await t.container.prisma.loggedModel.create({
      data: { id, experimentId: BigInt(run.experimentId), name: 'model', status: 'READY', artifactLocation, creationTime: 0n, lastUpdatedTime: 0n },
    });
    const res = await alice.post(`${API}/model-versions/create`, { name, source: `models:/${id}`, run_id: run.runId, model_id: id }).expect(200);
    expect(res.body.model_version).toMatchObject({ source: `models:/${id}`, model_id: id, run_id: run.runId });
    const uri = await alice.get(`${API}/model-versions/get-download-uri`, { name, version: '1' }).expect(200);
    expect(uri.body.artifact_uri).toBe(artifactLocation);
    const unknown = await alice.post(`${API}/model-versions/create`, { name, source: `models:/m-${'cd'.repeat(16)}` }).expect(404);
    expect(unknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it.each([
    ['a .. segment', 'mlflow-artifacts:/1/../../etc'],
    ['an encoded %2e%2e segment', 's3://bucket/a/%2e%2e/b'],
    ['a double-encoded segment', 's3://bucket/a/%252E%252E/b'],
    ['a NUL byte', 's3://bucket/a\u0000b'],
    ['a local path', '/tmp/model'],
    ['a file: URI', 'file:///etc/passwd'],
    ['a malformed models:/ URI', 'models:/a/b/c'],
    ['an invalid stage in models:/', 'models:/x/Bogus'],
  ])('rejects a source with %s with 400 INVALID_PARAMETER_VALUE and creates nothing', async (_what, source) => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const res = await alice.post(`${API}/model-versions/create`, { name, source }).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    expect(await t.container.prisma.modelVersion.count({ where: { modelId: model.id } })).toBe(0);
  });

  it("registers an MLflow 3 prompt's version with the placeholder source its client sends, and never serves that source", async () => {
    const alice = t.as('alice');
    const prompt = [{ key: 'mlflow.prompt.is_prompt', value: 'true' }];
    const name = await createModel(alice, uniqueName('prompt'), { tags: prompt });
    const tags = [...prompt, { key: 'mlflow.prompt.text', value: 'Hello {{name}}' }];
    for (const source of ['dummy-source', 'prompt-template', 'file:///etc/passwd']) {
      const v = (await alice.post(`${API}/model-versions/create`, { name, source, tags }).expect(200)).body.model_version;
      expect(v).toMatchObject({ source, status: 'READY' });
      expect((await alice.get(`${API}/model-versions/get-download-uri`, { name, version: v.version }).expect(200)).body).toEqual({ artifact_uri: source });
    }
    const served = await alice.get(`/api/2.0/registry/models/${name}/3/files/passwd`).expect(400);
    expect(served.body.message).toContain('outside this server');
    // Only the local-path rule gives way: traversal is refused for prompts too, and without the tag a placeholder is a local path.
    expect((await alice.post(`${API}/model-versions/create`, { name, source: 'a/../../etc', tags }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await alice.post(`${API}/model-versions/create`, { name, source: 'dummy-source' }).expect(400)).body.message).toContain('local paths cannot be registered');
  });

  it('answers 404 for an unknown model, run_id or runs:/ run, and 403 for an unreadable run or experiment', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const noModel = await alice.post(`${API}/model-versions/create`, { name: 'nope-zz', source: 's3://b/m' }).expect(404);
    expect(noModel.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const noRun = await alice.post(`${API}/model-versions/create`, { name, source: 's3://b/m', run_id: 'f'.repeat(32) }).expect(404);
    expect(noRun.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const noRunSource = await alice.post(`${API}/model-versions/create`, { name, source: `runs:/${'e'.repeat(32)}/m` }).expect(404);
    expect(noRunSource.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');

    const hidden = await createRun(t, 'carol');
    await t.container.prisma.permissionGrant.create({
      data: { resourceType: 'experiment', resourceId: hidden.experimentId, principalType: 'user', principal: 'alice', level: 'NO_PERMISSIONS', createdAt: 0n },
    });
    for (const source of [`runs:/${hidden.runId}/model`, `${hidden.artifactUri}/model`]) {
      const res = await alice.post(`${API}/model-versions/create`, { name, source }).expect(403);
      expect(res.body.error_code).toBe('PERMISSION_DENIED');
    }
  });

  it('needs EDIT on the model to create a version', async () => {
    const name = await createModel(t.as('alice'));
    const res = await t.as('bob').post(`${API}/model-versions/create`, { name, source: 's3://b/m' }).expect(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
    await grant(t, name, 'bob', 'EDIT');
    await t.as('bob').post(`${API}/model-versions/create`, { name, source: 's3://b/m' }).expect(200);
  });

  it('answers 400 for a non-integer version and 404 for an unknown one', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const bad = await alice.get(`${API}/model-versions/get`, { name, version: 'abc' }).expect(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const unknown = await alice.get(`${API}/model-versions/get`, { name, version: '7' }).expect(404);
    expect(unknown.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Model Version (name=${name}, version=7) not found` });
  });

  it('updates the description and bumps last_updated_timestamp', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    const before = await getVersion(alice, name, v);
    await new Promise((r) => setTimeout(r, 5));
    const res = await alice.patch(`${API}/model-versions/update`, { name, version: v, description: 'better' }).expect(200);
    expect(res.body.model_version.description).toBe('better');
    expect(res.body.model_version.last_updated_timestamp).toBeGreaterThan(before.last_updated_timestamp);
    expect((await getVersion(alice, name, v)).description).toBe('better');
  });

  it('sets and deletes version tags; value is required; unknown version is 404', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const v = await createVersion(alice, name);
    await alice.post(`${API}/model-versions/set-tag`, { name, version: v, key: 'k', value: '1' }).expect(200);
    await alice.post(`${API}/model-versions/set-tag`, { name, version: v, key: 'k', value: '2' }).expect(200);
    expect((await getVersion(alice, name, v)).tags).toEqual([{ key: 'k', value: '2' }]);
    const noValue = await alice.post(`${API}/model-versions/set-tag`, { name, version: v, key: 'k' }).expect(400);
    expect(noValue.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await alice.delete(`${API}/model-versions/delete-tag`, { name, version: v, key: 'k' }).expect(200);
    expect((await getVersion(alice, name, v)).tags).toBeUndefined();
    const unknown = await alice.post(`${API}/model-versions/set-tag`, { name, version: '99', key: 'k', value: 'v' }).expect(404);
    expect(unknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('soft-deletes a version: invisible everywhere, number never reused, aliases and tags removed, source redacted', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    const run = await createRun(t, 'alice');
    await createVersion(alice, name);
    const v2 = await createVersion(alice, name, { source: `runs:/${run.runId}/m`, run_id: run.runId, tags: [{ key: 'a', value: 'b' }] });
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'champ', version: v2 }).expect(200);
    const bob = t.as('bob');
    expect((await bob.delete(`${API}/model-versions/delete`, { name, version: v2 }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    await alice.delete(`${API}/model-versions/delete`, { name, version: v2 }).expect(200);

    expect((await alice.get(`${API}/model-versions/get`, { name, version: v2 }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await alice.get(`${API}/model-versions/get-download-uri`, { name, version: v2 }).expect(404);
    await alice.get(`${API}/registered-models/alias`, { name, alias: 'champ' }).expect(404);
    await alice.delete(`${API}/model-versions/delete`, { name, version: v2 }).expect(404);
    const model = (await alice.get(`${API}/registered-models/get`, { name })).body.registered_model;
    expect(model.aliases).toBeUndefined();
    expect(model.latest_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
    expect(await createVersion(alice, name)).toBe('3');

    const row = await t.container.prisma.modelVersion.findFirstOrThrow({ where: { model: { name }, version: 2 } });
    expect(row).toMatchObject({ currentStage: 'Deleted_Internal', source: 'REDACTED-SOURCE-PATH', runId: null, storageLocation: null });
    expect(await t.container.prisma.modelVersionTag.count({ where: { modelId: row.modelId, version: 2 } })).toBe(0);
  });

  it('serves every endpoint under the ajax prefix too', async () => {
    const alice = t.as('alice');
    const name = uniqueName();
    await alice.post(`${AJAX}/registered-models/create`, { name }).expect(200);
    const res = await alice.post(`${AJAX}/model-versions/create`, { name, source: 's3://b/m' }).expect(200);
    expect(res.body.model_version.version).toBe('1');
  });
});
