import { bearer } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';
import { rawRequest } from './artifact-streams';

describe('artifact proxy path safety and permissions', () => {
  let t: TestApp;
  let run: RunFixture;
  let other: RunFixture;
  const alice = () => bearer(t.as('alice').token);
  const bob = () => bearer(t.as('bob').token);
  const admin = () => bearer(t.as().token);

  beforeAll(async () => {
    t = await startTestApp();
    run = await createRun(t, 'alice');
    other = await createRun(t, 'alice');
  });
  afterAll(async () => {
    await t.close();
  });

  async function storedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const f of t.container.artifactStore.walk('')) keys.push(f.key);
    return keys;
  }

  it.each([
    ['a traversal hidden as %2F inside one segment', '/..%2F..%2F..%2Fetc%2Fpasswd'],
    ['an encoded slash inside a segment', '/model%2FMLmodel'],
    ['a literal .. segment', '/../../x'],
    ['an encoded .. segment', '/%2e%2e/x'],
    ['a double-encoded .. segment', '/%252e%252e/x'],
    ['a . segment', '/./x'],
    ['a backslash', '/..%5C..%5Cx'],
    ['a NUL byte', '/x%00.txt'],
    ['an empty segment', '//x'],
    ['a trailing slash', '/dir/'],
    ['malformed percent-encoding', '/x%ZZ'],
  ])('rejects %s with 400 INVALID_PARAMETER_VALUE and writes nothing', async (_what, suffix) => {
    const before = await storedKeys();
    const res = await rawRequest(t.baseUrl, 'PUT', `${PROXY}/artifacts/${run.root}${suffix}`, { ...alice() }, 'payload');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await storedKeys()).toEqual(before);
  });

  it('rejects an absolute or traversing listing path', async () => {
    for (const path of ['/etc', `${run.root}/../../x`, `${run.root}/a\\b`]) {
      const res = await t.http.get(`${PROXY}/artifacts`).query({ path }).set(alice()).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('lets the creator write and any reader (default READ) read, but not write or delete', async () => {
    await t.http.put(`${PROXY}/artifacts/${run.root}/shared.txt`).set(alice()).send('mine').expect(200);
    await t.http.get(`${PROXY}/artifacts/${run.root}/shared.txt`).set(bob()).expect(200);
    const write = await t.http.put(`${PROXY}/artifacts/${run.root}/bob.txt`).set(bob()).send('x').expect(403);
    expect(write.body.error_code).toBe('PERMISSION_DENIED');
    expect(await t.container.artifactStore.stat(`${run.root}/bob.txt`)).toBeUndefined();
    const del = await t.http.delete(`${PROXY}/artifacts/${run.root}/shared.txt`).set(bob()).expect(403);
    expect(del.body.error_code).toBe('PERMISSION_DENIED');
    expect(await t.container.artifactStore.stat(`${run.root}/shared.txt`)).toBeDefined();
  });

  it('refuses a run id under an experiment the run does not belong to', async () => {
    expect(other.experimentId).not.toBe(run.experimentId);
    const res = await t.http.put(`${PROXY}/artifacts/${run.experimentId}/${other.runId}/artifacts/x.txt`).set(alice()).send('x');
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('answers 404 for an unknown experiment or run', async () => {
    const exp = await t.http.put(`${PROXY}/artifacts/999999/${run.runId}/artifacts/x`).set(alice()).send('x').expect(404);
    expect(exp.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const r = await t.http
      .put(`${PROXY}/artifacts/${run.experimentId}/${'0'.repeat(32)}/artifacts/x`)
      .set(alice())
      .send('x')
      .expect(404);
    expect(r.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('keeps paths outside the experiment and registry layout for administrators', async () => {
    const denied = await t.http.put(`${PROXY}/artifacts/scratch/x.txt`).set(alice()).send('x').expect(403);
    expect(denied.body.error_code).toBe('PERMISSION_DENIED');
    await t.http.get(`${PROXY}/artifacts`).set(alice()).expect(403); // the store root
    await t.http.put(`${PROXY}/artifacts/scratch/x.txt`).set(admin()).send('x').expect(200);
    const root = await t.http.get(`${PROXY}/artifacts`).set(admin()).expect(200);
    expect(root.body.files).toEqual(expect.arrayContaining([{ path: 'scratch', is_dir: true }]));
  });

  it('checks registered model permissions for registry/<id>/...', async () => {
    await t.http.put(`${PROXY}/artifacts/registry/41/1/model.onnx`).set(bob()).send('x').expect(403);
    await t.container.permissions.grantCreator({ subject: 'bob', groups: [], isAdmin: false }, 'registered_model', '41');
    await t.http.put(`${PROXY}/artifacts/registry/41/1/model.onnx`).set(bob()).send('onnx').expect(200);
    await t.http.get(`${PROXY}/artifacts/registry/41/1/model.onnx`).set(alice()).expect(200); // default READ
    await t.http.delete(`${PROXY}/artifacts/registry/41/1/model.onnx`).set(alice()).expect(403);
    await t.http.put(`${PROXY}/artifacts/registry/not-a-number/x`).set(bob()).send('x').expect(403);
  });
});

describe('artifact proxy with DEFAULT_PERMISSION=NO_PERMISSIONS', () => {
  let t: TestApp;
  let run: RunFixture;

  beforeAll(async () => {
    t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
    run = await createRun(t, 'alice');
    await t.http
      .put(`${PROXY}/artifacts/${run.root}/secret.txt`)
      .set(bearer(t.as('alice').token))
      .send('secret')
      .expect(200);
  });
  afterAll(async () => {
    await t.close();
  });

  it('hides files and listings from users without a grant', async () => {
    const bob = bearer(t.as('bob').token);
    expect((await t.http.get(`${PROXY}/artifacts/${run.root}/secret.txt`).set(bob).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    await t.http.get(`${PROXY}/artifacts`).query({ path: run.root }).set(bob).expect(403);
    await t.http.get('/api/2.0/mlflow/artifacts/list').query({ run_id: run.runId }).set(bob).expect(403);
  });
});
