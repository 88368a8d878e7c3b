import http from 'node:http';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { bearer } from '../helpers/tokens';

const M = '/api/2.0/mlflow';

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: Buffer;
}

/** A request whose answer is read as the bytes on the wire (supertest would decompress them). */
function raw(t: TestApp, path: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${t.baseUrl}${path}`, { headers: { ...bearer(t.as().token), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe.each([
  ['default threshold', {}, true],
  ['COMPRESSION_MIN_BYTES=0', { COMPRESSION_MIN_BYTES: '0' }, false],
])('JSON answers, %s', (_label, env: Record<string, string>, compresses) => {
  let t: TestApp;
  let experimentId: string;
  let runId: string;
  beforeAll(async () => {
    t = await startTestApp(env);
    const admin = t.as();
    experimentId = (await admin.post(`${M}/experiments/create`, { name: 'compressed' }).expect(200)).body.experiment_id;
    runId = (await admin.post(`${M}/runs/create`, { experiment_id: experimentId }).expect(200)).body.run.info.run_id;
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `param_${i}`, value: `a value long enough to make the answer big ${i}` }));
    await admin.post(`${M}/runs/log-batch`, { run_id: runId, params }).expect(200);
    await t.container.artifactStore.put(`${experimentId}/${runId}/artifacts/data.json`, Readable.from([Buffer.from(JSON.stringify(params))]));
  });
  afterAll(async () => {
    await t.close();
  });

  const plain = async () => JSON.parse((await raw(t, `${M}/runs/get?run_id=${runId}`, {})).bytes.toString('utf8')) as unknown;

  it.each([
    ['br', (b: Buffer) => zlib.brotliDecompressSync(b)],
    ['gzip', (b: Buffer) => zlib.gunzipSync(b)],
  ])('answers a big one %s-encoded when the client accepts it, else as is', async (encoding, decode) => {
    const res = await raw(t, `${M}/runs/get?run_id=${runId}`, { 'Accept-Encoding': `${encoding}, identity` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    if (compresses) {
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers.vary).toContain('Accept-Encoding');
      expect(res.bytes.length).toBeLessThan(Number(JSON.stringify(await plain()).length) / 2);
      expect(JSON.parse(decode(res.bytes).toString('utf8'))).toEqual(await plain());
    } else {
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(res.bytes.toString('utf8'))).toEqual(await plain());
    }
  });

  it('answers as is without Accept-Encoding, for small answers, and for artifact bytes', async () => {
    const none = await raw(t, `${M}/runs/get?run_id=${runId}`, {});
    expect(none.headers['content-encoding']).toBeUndefined();
    expect((JSON.parse(none.bytes.toString('utf8')) as { run: unknown }).run).toBeDefined();
    const small = await raw(t, `${M}/experiments/get?experiment_id=${experimentId}`, { 'Accept-Encoding': 'br, gzip' });
    expect([small.status, small.headers['content-encoding']]).toEqual([200, undefined]);
    const file = await raw(t, `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/data.json`, { 'Accept-Encoding': 'br, gzip' });
    expect([file.status, file.headers['content-encoding']]).toEqual([200, undefined]);
    expect(file.bytes.length).toBeGreaterThan(1024);
  });
});
