import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('service basics', () => {
  it('answers /health and /version without a token', async () => {
    await t.http.get('/health').expect(200, 'OK');
    const v = await t.http.get('/version').expect(200);
    expect(v.text).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers /ready without a token, naming what it checked', async () => {
    const res = await t.http.get('/ready').expect(200);
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok', migrations: expect.stringMatching(/^ok/), artifact_store: 'ok (s3)' } });
  });

  it('answers an unknown API path with ENDPOINT_NOT_FOUND in MLflow error format', async () => {
    const res = await t.as().get('/api/2.0/mlflow/no-such-thing').expect(404);
    expect(res.body).toEqual({ error_code: 'ENDPOINT_NOT_FOUND', message: expect.any(String) });
  });

  it('sends API answers without an ETag, as MLflow does (no hash of every body)', async () => {
    const res = await t.as().get('/api/2.0/mlflow/experiments/get', { experiment_id: '0' }).expect(200);
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('refuses POST without application/json', async () => {
    const res = await t.http.post('/api/2.0/mlflow/experiments/create').set('Authorization', `Bearer ${t.as().token}`).set('Content-Type', 'text/plain').send('name=x').expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain('Content-Type must be one of [application/json]');
  });

  it('answers malformed JSON with a 400, not a 500', async () => {
    const res = await t.http.post('/api/2.0/mlflow/experiments/create').set('Authorization', `Bearer ${t.as().token}`).set('Content-Type', 'application/json').send('{"name": ').expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});
