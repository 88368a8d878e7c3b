import { startTestApp, type TestApp } from '../helpers/test-app';
import { tokenFor } from '../helpers/tokens';

let t: TestApp;
const M = '/api/2.0/mlflow';
const R = '/api/2.0/registry/models';
const auth = (user: string, admin = false) => ({ Authorization: `Bearer ${tokenFor(user, { admin })}` });

beforeAll(async () => {
  t = await startTestApp({ MAX_UPLOAD_BYTES: '1000' });
  await t.as('owner').post(`${M}/registered-models/create`, { name: 'uploaded' }).expect(200);
});
afterAll(async () => {
  await t.close();
});

describe('creating a model version by uploading files', () => {
  it('stores the files under the model prefix and registers a version that serves them', async () => {
    const res = await t.http
      .post(`${R}/uploaded/versions`)
      .query({ description: 'from curl' })
      .set(auth('owner'))
      .attach('file', Buffer.from('flavors: {}\n'), 'MLmodel')
      .attach('file', Buffer.from('weights'), 'model.bin')
      .expect(200);
    expect(res.body.model_version).toMatchObject({ name: 'uploaded', version: '1', description: 'from curl', current_stage: 'None' });
    expect(res.body.model_version.source).toMatch(/^mlflow-artifacts:\/registry\/\d+\/uploads\/[0-9a-f-]{36}$/);
    expect(res.body.files).toEqual([
      { path: 'MLmodel', file_size: 12 },
      { path: 'model.bin', file_size: 7 },
    ]);
    const file = await t.http.get(`${R}/uploaded/1/files/model.bin`).set(auth('owner')).buffer(true).expect(200);
    expect(Buffer.from(file.body as Buffer).toString()).toBe('weights');
  });

  it('needs EDIT on the model and stores nothing otherwise', async () => {
    await t.as('owner').post(`${M}/registered-models/permissions/create`, { name: 'uploaded', username: 'reader', permission: 'READ' }).expect(200);
    const res = await t.http.post(`${R}/uploaded/versions`).set(auth('reader')).attach('file', Buffer.from('x'), 'MLmodel').expect(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
    const versions = await t.as('owner').get(`${M}/model-versions/search`, { filter: "name = 'uploaded'" }).expect(200);
    expect(versions.body.model_versions).toHaveLength(1);
  });

  it('answers 413 over MAX_UPLOAD_BYTES, 400 without files, 404 for an unknown model', async () => {
    const big = await t.http.post(`${R}/uploaded/versions`).set(auth('owner')).attach('file', Buffer.alloc(2000), 'big.bin');
    expect(big.status).toBe(413);
    expect(big.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const none = await t.http.post(`${R}/uploaded/versions`).set(auth('owner')).field('note', 'x').expect(400);
    expect(none.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.http.post(`${R}/ghost/versions`).set(auth('owner')).attach('file', Buffer.from('x'), 'a').expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const versions = await t.as('owner').get(`${M}/model-versions/search`, { filter: "name = 'uploaded'" }).expect(200);
    expect(versions.body.model_versions).toHaveLength(1);
  });
});
