import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type S3rver from 's3rver';
import type { S3ArtifactStore } from '../../src/storage/s3-artifact-store';
import { startS3MultipartTestServer } from '../helpers/s3-multipart-test-server';
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
    const res = await t.http
      .post(`${PROXY}/mpu/create/${run.root}`)
      .set(bearer(t.as('bob').token))
      .send({ path: 'x', num_parts: 1 })
      .expect(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
  });
});

// The shared S3 test server (s3rver) has no AbortMultipartUpload, ListMultipartUploads or ListParts
// (test/helpers/s3-multipart-test-server.ts): this file starts its own s3rver with them added, so
// the abort below goes through the real minio client to a server that really ends the upload.
describe('aborting a multipart upload through the proxy on an S3 server', () => {
  let s3: S3rver;
  let s3Dir: string;
  let t: TestApp;
  let run: RunFixture;
  let alice: { Authorization: string };

  beforeAll(async () => {
    s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-s3-mpu-'));
    const started = await startS3MultipartTestServer(s3Dir);
    s3 = started.s3;
    t = await startTestApp({ S3_ENDPOINT: `http://127.0.0.1:${started.port}` });
    run = await createRun(t, 'alice');
    alice = bearer(t.as('alice').token);
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    fs.rmSync(s3Dir, { recursive: true, force: true });
  });

  const mpu = (step: string, dir: string, body: object) => t.http.post(`${PROXY}/mpu/${step}/${dir}`).set(alice).send(body);

  /** The bucket's in-progress multipart uploads, as the S3 server lists them (ListMultipartUploads + ListParts). */
  async function inProgress(): Promise<Array<{ key: string; uploadId: string; size: number }>> {
    const store = t.container.artifactStore as S3ArtifactStore;
    const found: Array<{ key: string; uploadId: string; size: number }> = [];
    for await (const u of store.client.listIncompleteUploads(store.bucket, '', true)) {
      found.push({ key: String(u.key), uploadId: String(u.uploadId), size: u.size });
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  it('ends the upload on the S3 server: it is no longer listed, takes no parts, cannot complete, and leaves no object', async () => {
    const dir = `${run.root}/aborted`;
    const key = `${dir}/big.bin`;
    const created = await mpu('create', dir, { path: 'big.bin', num_parts: 2 }).expect(200);
    const uploadId: string = created.body.upload_id;
    const first = await fetch(created.body.credentials[0].url, { method: 'PUT', body: 'partial' });
    expect(first.status).toBe(200);
    // Another object's upload, which the abort must leave alone.
    const kept = await mpu('create', `${run.root}/kept`, { path: 'other.bin', num_parts: 1 }).expect(200);
    expect(await inProgress()).toEqual([
      { key, uploadId, size: 'partial'.length },
      { key: `${run.root}/kept/other.bin`, uploadId: kept.body.upload_id, size: 0 },
    ]);

    expect((await mpu('abort', dir, { path: 'big.bin', upload_id: uploadId }).expect(200)).body).toEqual({});

    expect(await inProgress()).toEqual([{ key: `${run.root}/kept/other.bin`, uploadId: kept.body.upload_id, size: 0 }]);
    const late = await fetch(created.body.credentials[1].url, { method: 'PUT', body: 'too late' });
    expect({ status: late.status, code: /<Code>([^<]*)<\/Code>/.exec(await late.text())?.[1] }).toEqual({ status: 404, code: 'NoSuchUpload' });
    const complete = await mpu('complete', dir, { path: 'big.bin', upload_id: uploadId, parts: [{ part_number: 1, etag: first.headers.get('etag') }] });
    expect({ status: complete.status, error_code: complete.body.error_code }).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    const again = await mpu('abort', dir, { path: 'big.bin', upload_id: uploadId });
    expect({ status: again.status, error_code: again.body.error_code }).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await t.container.artifactStore.stat(key)).toBeUndefined();
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
    const res = await t.http
      .post(`${PROXY}/mpu/${step}/${run.root}`)
      .set(bearer(t.as('alice').token))
      .send(body)
      .expect(501);
    expect(res.body.error_code).toBe('NOT_IMPLEMENTED');
    expect(res.body.message.startsWith(NOT_SUPPORTED)).toBe(true);
  });
});
