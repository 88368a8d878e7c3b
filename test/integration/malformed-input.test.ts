import net from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { bearer } from '../helpers/tokens';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';

/**
 * Input a fuzz found answered with 500: every class must be a 4xx with MLflow's JSON error body,
 * and the server must go on answering.
 */
const M = '/api/2.0/mlflow';
const R = '/api/2.0/registry';

let t: TestApp;
let run: RunFixture;
let admin: { Authorization: string };

beforeAll(async () => {
  t = await startTestApp({ MAX_JSON_BODY_BYTES: '100000' });
  admin = bearer(t.as('admin').token);
  run = await createRun(t, 'admin');
  await t.as().post(`${M}/registered-models/create`, { name: 'fuzzed' }).expect(200);
});
afterAll(async () => {
  await t.close();
});
afterEach(async () => {
  // Still answering, and answering correctly.
  await t.http.get('/health').expect(200, 'OK');
  expect((await t.as().get(`${M}/registered-models/get`, { name: 'fuzzed' }).expect(200)).body.registered_model.name).toBe('fuzzed');
});

/** Sends the bytes as they are (superagent would JSON-encode a Buffer sent as application/json). */
const sendBytes = (req: ReturnType<TestApp['http']['post']>, bytes: Buffer) => req.serialize(((b: Buffer) => b) as unknown as (obj: unknown) => string).send(bytes);

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect({ status: res.status, error_code: (res.body as { error_code?: unknown }).error_code }).toEqual({ status, error_code: code });
  expect(typeof (res.body as { message?: unknown }).message).toBe('string');
}

describe('NUL characters', () => {
  const NUL = 'a\u0000b';
  it.each([
    ['experiments/create', { name: NUL }, 'name'],
    ['experiments/set-experiment-tag', { experiment_id: '0', key: 'k', value: NUL }, 'value'],
    ['runs/create', { experiment_id: '0', tags: [{ key: NUL, value: 'v' }] }, 'tags.0.key'],
    [
      'runs/log-batch',
      {
        run_id: 'RUN',
        metrics: [
          { key: 'm', value: 1, timestamp: 1, step: 0 },
          { key: NUL, value: 1, timestamp: 1, step: 0 },
        ],
      },
      'metrics.1.key',
    ],
    ['runs/log-parameter', { run_id: 'RUN', key: 'p', value: NUL }, 'value'],
    ['runs/set-tag', { run_id: 'RUN', key: NUL, value: 'v' }, 'key'],
    ['registered-models/create', { name: NUL }, 'name'],
    ['registered-models/set-tag', { name: 'fuzzed', key: 'k', value: NUL }, 'value'],
    ['model-versions/create', { name: 'fuzzed', source: `mlflow-artifacts:/${NUL}` }, 'source'],
    ['registered-models/alias', { name: 'fuzzed', alias: NUL, version: '1' }, 'alias'],
  ])('in a JSON body of %s: 400 naming the field', async (route, body, field) => {
    const withRun = JSON.parse(JSON.stringify(body).replace('RUN', run.runId)) as object;
    const res = await t.http.post(`${M}/${route}`).set(admin).send(withRun);
    expectError(res, 400, 'INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(`'${field}'`);
  });

  it.each([
    [`${M}/experiments/get-by-name?experiment_name=a%00b`, 'experiment_name'],
    [`${M}/registered-models/get?name=a%00b`, 'name'],
    [`${M}/registered-models/search?filter=name%3D%27a%00b%27`, 'filter'],
    [`${M}/runs/get?run_id=a%00b`, 'run_id'],
    [`${M}/metrics/get-history?run_id=RUN&metric_key=m%00`, 'metric_key'],
    [`${M}/registered-models/alias?name=fuzzed&alias=a%00`, 'alias'],
    [`${M}/experiments/permissions/list?experiment_id=0&x=%00`, 'x'],
    [`${PROXY}/artifacts?path=a%00b`, 'path'],
    [`${R}/audit?name=a%00b`, 'name'],
  ])('in the query string of %s: 400 naming the field', async (url, field) => {
    const res = await t.http.get(url.replace('RUN', run.runId)).set(admin);
    expectError(res, 400, 'INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(`'${field}'`);
  });

  it('in a path segment that reaches PostgreSQL: 400 from the database backstop', async () => {
    expectError(await t.http.get(`${R}/models/a%00b/1/archive`).set(admin), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await t.http.get(`${M}/logged-models/m-%00`).set(admin), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('deep in a body nested deeper than any stack: 400, not a stack overflow', async () => {
    const depth = 40_000;
    const body = `{"name": ${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}}`;
    const res = await t.http.post(`${M}/registered-models/create`).set(admin).type('json').send(body);
    expectError(res, 400, 'INVALID_PARAMETER_VALUE');
    expect(res.body.message.length).toBeLessThan(1000);
  });

  it('a literal backslash-u0000 (an escaped backslash) is ordinary text', async () => {
    const res = await t.http.post(`${M}/registered-models/create`).set(admin).send({ name: 'back\\u0000slash' }).expect(200);
    expect(res.body.registered_model.name).toBe('back\\u0000slash');
  });
});

describe('lone UTF-16 surrogates', () => {
  it.each([
    ['experiments/create', '{"name": "\\ud800"}', 'name'],
    ['registered-models/create', '{"name": "x\\udfffy"}', 'name'],
    ['runs/set-tag', '{"run_id": "RUN", "key": "k", "value": "\\udc00\\ud800"}', 'value'],
  ])('in %s: 400 naming the field', async (route, body, field) => {
    const res = await t.http.post(`${M}/${route}`).set(admin).type('json').send(body.replace('RUN', run.runId));
    expectError(res, 400, 'INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(`'${field}'`);
  });

  it('a surrogate pair (an escaped emoji, as Python clients send it) is stored', async () => {
    const res = await t.http.post(`${M}/registered-models/create`).set(admin).type('json').send('{"name": "smile-\\ud83d\\ude00"}').expect(200);
    expect(res.body.registered_model.name).toBe('smile-\u{1F600}');
  });
});

describe('Content-Encoding', () => {
  const body = Buffer.from(JSON.stringify({ name: 'zipped' }));
  const post = (encoding: string, bytes: Buffer) =>
    sendBytes(t.http.post(`${M}/registered-models/get-latest-versions`).set(admin).set('Content-Type', 'application/json').set('Content-Encoding', encoding), bytes);

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('accepts a valid %s body', async (encoding, compress) => {
    const req = t.http.post(`${M}/registered-models/create`).set(admin).set('Content-Type', 'application/json').set('Content-Encoding', encoding);
    const res = await sendBytes(req, compress(Buffer.from(JSON.stringify({ name: `zipped-${encoding}` })))).expect(200);
    expect(res.body.registered_model.name).toBe(`zipped-${encoding}`);
  });

  it.each([
    ['gzip', Buffer.from('not gzip at all')],
    ['gzip', gzipSync(body).subarray(0, 12)],
    ['deflate', Buffer.from('{"name":"plain"}')],
    ['br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00])],
  ])('answers an invalid %s body with 400', async (encoding, bytes) => {
    const res = await post(encoding, bytes);
    expectError(res, 400, 'INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(encoding);
  });

  it('answers an invalid body on the other JSON parsers (audit, mpu) with 400 too', async () => {
    const audit = await t.http.get(`${R}/audit`).set(admin).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('nope');
    expectError(audit, 400, 'INVALID_PARAMETER_VALUE');
    const mpu = await t.http.post(`${PROXY}/mpu/create/x`).set(admin).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('nope');
    expectError(mpu, 400, 'INVALID_PARAMETER_VALUE');
  });

  it('counts the decoded size against the body limit (a small gzip of a large body is 413)', async () => {
    const bomb = gzipSync(Buffer.from(JSON.stringify({ name: 'x'.repeat(200_000) })));
    expect(bomb.length).toBeLessThan(2000);
    expectError(await post('gzip', bomb), 413, 'INVALID_PARAMETER_VALUE');
  });

  it.each(['compress', 'zstd-or-so', 'gzip, br', 'x-gzip'])('answers the unknown encoding %s with 415', async (encoding) => {
    const res = await post(encoding, body);
    expectError(res, 415, 'BAD_REQUEST');
  });

  it('answers an unsupported charset with 415', async () => {
    const res = await sendBytes(t.http.post(`${M}/registered-models/create`).set(admin).set('Content-Type', 'application/json; charset=latin1'), body);
    expectError(res, 415, 'BAD_REQUEST');
  });
});

describe('broken multipart bodies', () => {
  const uploads = () => [
    ['mlflow-artifacts/upload', `${PROXY}/upload?run_id=${run.runId}`],
    ['registry/models/<name>/versions', `${R}/models/fuzzed/versions`],
  ];
  const part = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello';
  const cases: Array<[string, string, string]> = [
    ['no boundary', 'multipart/form-data', `${part}\r\n--XYZ--\r\n`],
    ['a truncated body', 'multipart/form-data; boundary=XYZ', part],
    ['a body that never starts', 'multipart/form-data; boundary=XYZ', 'just some bytes'],
    ['a malformed part header', 'multipart/form-data; boundary=XYZ', '--XYZ\r\nContent-Disposition form-data name file\r\n\r\nhello\r\n--XYZ--\r\n'],
    ['an unterminated header block', 'multipart/form-data; boundary=XYZ', `--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n${'X-Pad: 1\r\n'.repeat(3000)}`],
  ];

  it.each(cases)('answers %s with 400 on both upload routes, and stores nothing', async (_what, contentType, raw) => {
    for (const [, url] of uploads()) {
      const res = await t.http.post(url!).set(admin).set('Content-Type', contentType).send(raw);
      expectError(res, 400, 'INVALID_PARAMETER_VALUE');
    }
    const keys: string[] = [];
    for await (const f of t.container.artifactStore.walk('')) keys.push(f.key);
    expect(keys).toEqual([]);
  });
});

describe('serving selectors', () => {
  it.each(['2147483648', '99999999999999999999999'])('answers the version %s (beyond any version) with 400', async (selector) => {
    expectError(await t.http.get(`${R}/models/fuzzed/${selector}/archive`).set(admin), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await t.http.get(`${R}/models/fuzzed/${selector}/files/MLmodel`).set(admin), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('still answers the largest possible version with 404', async () => {
    expectError(await t.http.get(`${R}/models/fuzzed/2147483647/archive`).set(admin), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

/** One raw HTTP exchange: what the server wrote before it closed the connection. */
function exchange(request: string | Buffer): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const port = (t.server.address() as net.AddressInfo).port;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // the server may reset while we still write; what it sent is what counts
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
      if (!status) return reject(new Error(`no HTTP response: ${JSON.stringify(text)}`));
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status, headers, body: rest.join('\r\n\r\n') });
    });
  });
}

function expectJsonError(res: { status: number; headers: Record<string, string>; body: string }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expectError({ status: res.status, body: JSON.parse(res.body) as unknown }, status, code);
}

describe('requests the HTTP parser refuses', () => {
  const auth = () => `Authorization: ${admin.Authorization}\r\n`;

  it('answers a URL over the header size limit with 431 in JSON', async () => {
    const res = await exchange(`GET ${M}/experiments/get?experiment_id=${'1'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
    expectJsonError(res, 431, 'BAD_REQUEST');
    expect(JSON.parse(res.body).message).toMatch(/16 KB|16384/);
  });

  it('answers headers over the size limit with 431 in JSON', async () => {
    expectJsonError(await exchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'BAD_REQUEST');
  });

  it.each(['FOO', 'BREW', 'GETT'])('answers the unknown method %s with 400 in JSON', async (method) => {
    expectJsonError(await exchange(`${method} ${M}/experiments/get?experiment_id=0 HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`), 400, 'BAD_REQUEST');
  });

  it('answers a malformed header or request line with 400 in JSON', async () => {
    expectJsonError(await exchange('GET /health HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n'), 400, 'BAD_REQUEST');
    expectJsonError(await exchange('this is not http\r\n\r\n'), 400, 'BAD_REQUEST');
  });

  it('answers CONNECT, which no route serves, with 405 in JSON', async () => {
    expectJsonError(await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), 405, 'BAD_REQUEST');
  });

  it('answers a method Node knows but no route serves with 404 ENDPOINT_NOT_FOUND', async () => {
    const res = await exchange(`PROPFIND ${M}/experiments/get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth()}\r\n`);
    expectJsonError(res, 404, 'ENDPOINT_NOT_FOUND');
  });
});
