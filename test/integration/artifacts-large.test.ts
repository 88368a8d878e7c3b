import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { bearer } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';
import { generated, hashing, sha256Of } from './artifact-streams';

const SIZE = 200 * 1024 * 1024;

/** PUTs a generated stream (never a buffer), hashing what went out. */
async function streamUp(url: string, token: string, size: number, chunked: boolean): Promise<{ status: number; sha256: string }> {
  const sent = hashing();
  const headers: http.OutgoingHttpHeaders = { ...bearer(token), 'Content-Type': 'application/octet-stream' };
  if (!chunked) headers['Content-Length'] = size;
  const req = http.request(url, { method: 'PUT', headers });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  await pipeline(generated(size, 2024), sent, req);
  const res = await response;
  res.resume();
  return { status: res.statusCode ?? 0, sha256: sent.digest() };
}

function streamDown(url: string, token: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(url, { headers: bearer(token) }, resolve).once('error', reject));
}

describe.each([
  ['S3 store, chunked body (S3 multipart upload)', {}, true],
  ['local store, Content-Length body', { S3_ENDPOINT: '' }, false],
])('a 200 MB artifact through the proxy on the %s', (_name, env: Record<string, string>, chunked: boolean) => {
  let t: TestApp;
  let run: RunFixture;

  beforeAll(async () => {
    t = await startTestApp(env);
    run = await createRun(t, 'alice');
  });
  afterAll(async () => {
    await t.close();
  });

  it('streams up and down with the same SHA-256 both ways', async () => {
    const token = t.as('alice').token;
    const url = `${t.baseUrl}${PROXY}/artifacts/${run.root}/big/model.bin`;
    const up = await streamUp(url, token, SIZE, chunked);
    expect(up.status).toBe(200);
    expect((await t.container.artifactStore.stat(`${run.root}/big/model.bin`))?.size).toBe(SIZE);

    const res = await streamDown(url, token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(SIZE));
    const down = await sha256Of(res);
    expect(down).toEqual({ sha256: up.sha256, bytes: SIZE });
  }, 180_000);

  it('keeps serving after clients drop a download midway', async () => {
    const token = t.as('alice').token;
    const url = `${t.baseUrl}${PROXY}/artifacts/${run.root}/big/model.bin`;
    for (let i = 0; i < 5; i++) {
      const res = await streamDown(url, token);
      expect(res.statusCode).toBe(200);
      await new Promise((resolve) => res.once('data', resolve));
      res.destroy();
    }
    const range = await t.http.get(`${PROXY}/artifacts/${run.root}/big/model.bin`).set(bearer(token)).set('Range', 'bytes=0-9').buffer(true).expect(206);
    expect(range.body.length).toBe(10);
    const whole = await sha256Of(await streamDown(url, token));
    expect(whole.bytes).toBe(SIZE);
  }, 60_000);
});
