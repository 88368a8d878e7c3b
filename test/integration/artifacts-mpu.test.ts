import { S3ArtifactStore } from '../../src/storage/s3-artifact-store';
import { bearer } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';
import { textOf } from './artifact-streams';

const NOT_SUPPORTED = 'Multipart upload is not supported for the current artifact repository';

describe('multipart upload through the proxy on the S3 store', () => {
  let t: TestApp;
  let run: RunFixture;
  let alice: { Authorization: string };

  beforeAll(async () => {
    t = await startTestApp();
    run = await createRun(t, 'alice');
    alice = bearer(t.as('alice').token);
  });
  afterAll(async () => {
    await t.close();
  });

  const mpu = (step: string, dir: string, body: object) => t.http.post(`${PROXY}/mpu/${step}/${dir}`).set(alice).send(body);

  it('creates an upload with presigned part URLs, takes the parts and completes into one object', async () => {
    const dir = `${run.root}/model`;
    const created = await mpu('create', dir, { path: '/home/me/tmp/weights.bin', num_parts: 2 }).expect(200);
    expect(created.body.upload_id).toEqual(expect.any(String));
    expect(created.body.credentials).toEqual([
      { url: expect.stringContaining('partNumber=1'), part_number: 1 },
      { url: expect.stringContaining('partNumber=2'), part_number: 2 },
    ]);
    const bodies = [Buffer.alloc(5 * 1024 * 1024, 'a'), Buffer.from('and the tail')];
    const parts = [];
    for (const [i, cred] of (created.body.credentials as Array<{ url: string; part_number: number }>).entries()) {
      const res = await fetch(cred.url, { method: 'PUT', body: bodies[i] });
      expect(res.status).toBe(200);
      parts.push({ part_number: cred.part_number, etag: res.headers.get('etag'), url: cred.url });
    }
    expect(await t.container.artifactStore.stat(`${dir}/weights.bin`)).toBeUndefined(); // not visible before complete
    const done = await mpu('complete', dir, { path: '/home/me/tmp/weights.bin', upload_id: created.body.upload_id, parts: parts.reverse() }).expect(200);
    expect(done.body).toEqual({});
    expect((await t.container.artifactStore.stat(`${dir}/weights.bin`))?.size).toBe(bodies[0]!.length + bodies[1]!.length);
    const head = await textOf(await t.container.artifactStore.get(`${dir}/weights.bin`, { start: 0, end: 2 }));
    expect(head).toBe('aaa');
  });

  it('aborts an upload, leaving no object', async () => {
    // The S3 test server lacks AbortMultipartUpload (DELETE ?uploadId); MinIO and S3 have it.
    (t.container.artifactStore as S3ArtifactStore).client.abortMultipartUpload = async () => undefined;
    const dir = `${run.root}/aborted`;
    const created = await mpu('create', dir, { path: 'big.bin', num_parts: 1 }).expect(200);
    await fetch(created.body.credentials[0].url, { method: 'PUT', body: 'partial' });
    expect((await mpu('abort', dir, { path: 'big.bin', upload_id: created.body.upload_id }).expect(200)).body).toEqual({});
    expect(await t.container.artifactStore.stat(`${dir}/big.bin`)).toBeUndefined();
  });

  it('rejects bad requests with INVALID_PARAMETER_VALUE', async () => {
    const dir = `${run.root}/bad`;
    expect((await mpu('create', dir, { num_parts: 1 }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await mpu('create', dir, { path: 'x', num_parts: 0 }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await mpu('create', dir, { path: '..', num_parts: 1 }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await mpu('complete', dir, { path: 'x', upload_id: 'u' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const text = await t.http.post(`${PROXY}/mpu/create/${dir}`).set(alice).set('Content-Type', 'text/plain').send('{}').expect(400);
    expect(text.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('needs EDIT on the experiment', async () => {
    const res = await t.http.post(`${PROXY}/mpu/create/${run.root}`).set(bearer(t.as('bob').token)).send({ path: 'x', num_parts: 1 }).expect(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
  });
});

describe('multipart upload through the proxy on the local store', () => {
  let t: TestApp;
  let run: RunFixture;

  beforeAll(async () => {
    t = await startTestApp({ S3_ENDPOINT: '' });
    run = await createRun(t, 'alice');
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['create', { path: 'big.bin', num_parts: 3 }],
    ['complete', { path: 'big.bin', upload_id: 'u', parts: [{ part_number: 1, etag: 'e' }] }],
    ['abort', { path: 'big.bin', upload_id: 'u' }],
  ])('answers mpu/%s with 501 NOT_IMPLEMENTED and the text the MLflow client falls back on', async (step, body) => {
    const res = await t.http.post(`${PROXY}/mpu/${step}/${run.root}`).set(bearer(t.as('alice').token)).send(body).expect(501);
    expect(res.body.error_code).toBe('NOT_IMPLEMENTED');
    expect(res.body.message.startsWith(NOT_SUPPORTED)).toBe(true);
  });
});
