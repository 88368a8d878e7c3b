import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { startS3TestServer } from '../helpers/s3-test-server';
import { bearer } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';

/** The app on its own S3 server, which the test then stops: store errors must be 503s, and the rest keeps serving. */
describe('artifact proxy while the S3 store is down', () => {
  let s3: S3rver;
  let t: TestApp;
  let run: RunFixture;
  let alice: { Authorization: string };
  const s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-outage-'));

  beforeAll(async () => {
    const started = await startS3TestServer(s3Dir);
    s3 = started.s3;
    const port = started.port;
    t = await startTestApp({ S3_ENDPOINT: `http://127.0.0.1:${port}` });
    run = await createRun(t, 'alice');
    alice = bearer(t.as('alice').token);
    await t.http.put(`${PROXY}/artifacts/${run.root}/before.txt`).set(alice).send('stored before the outage').expect(200);
    await s3.close();
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(s3Dir, { recursive: true, force: true });
  });

  it.each([
    ['PUT', () => t.http.put(`${PROXY}/artifacts/${run.root}/during.txt`).set(alice).send('x')],
    ['GET', () => t.http.get(`${PROXY}/artifacts/${run.root}/before.txt`).set(alice)],
    ['list', () => t.http.get(`${PROXY}/artifacts`).query({ path: run.root }).set(alice)],
    ['DELETE', () => t.http.delete(`${PROXY}/artifacts/${run.root}/before.txt`).set(alice)],
    ['artifacts/list', () => t.http.get('/api/2.0/mlflow/artifacts/list').query({ run_id: run.runId }).set(alice)],
    ['form upload', () => t.http.post(`${PROXY}/upload`).query({ run_id: run.runId }).set(alice).attach('file', Buffer.from('x'), 'x.txt')],
  ])('answers %s with 503 TEMPORARILY_UNAVAILABLE naming the artifact store', async (_what, send) => {
    const res = await send();
    expect(res.status).toBe(503);
    expect(res.body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(res.body.message).toMatch(/^Artifact storage is unavailable/);
  });

  it('keeps serving everything that does not need the store', async () => {
    await t.http.get('/health').expect(200);
    const exp = await t.as('alice').get('/api/2.0/mlflow/experiments/get', { experiment_id: run.experimentId }).expect(200);
    expect(exp.body.experiment.experiment_id).toBe(run.experimentId);
  });
});
