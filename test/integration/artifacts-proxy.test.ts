import { bearer } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';
import { textOf } from './artifact-streams';

describe.each([
  ['S3 store', {}],
  ['local store', { S3_ENDPOINT: '' }],
])('artifact proxy on the %s', (_name, env: Record<string, string>) => {
  let t: TestApp;
  let run: RunFixture;
  let alice: { Authorization: string };

  beforeAll(async () => {
    t = await startTestApp(env);
    run = await createRun(t, 'alice');
    alice = bearer(t.as('alice').token);
  });
  afterAll(async () => {
    await t.close();
  });

  const put = (path: string, body: string | Buffer, type = 'application/octet-stream') => t.http.put(`${PROXY}/artifacts/${path}`).set(alice).set('Content-Type', type).send(body);
  const stored = async (key: string) => textOf(await t.container.artifactStore.get(key));

  it('uses the store the configuration names', () => {
    expect(t.container.artifactStore.kind).toBe(env.S3_ENDPOINT === '' ? 'local' : 's3');
  });

  it('stores a PUT body byte for byte and answers {}', async () => {
    const res = await put(`${run.root}/notes/hello.txt`, 'hello artifacts', 'text/plain').expect(200);
    expect(res.body).toEqual({});
    expect(await stored(`${run.root}/notes/hello.txt`)).toBe('hello artifacts');
  });

  it('keeps a JSON upload raw: PUT bodies never go through the JSON parser', async () => {
    const raw = '{"flavors":  {"python_function": {}}, "trailing": [1,2,3]}\n';
    await put(`${run.root}/model/MLmodel.json`, raw, 'application/json').expect(200);
    expect(await stored(`${run.root}/model/MLmodel.json`)).toBe(raw);
  });

  it('downloads with Content-Type, Content-Length, attachment disposition and nosniff', async () => {
    await put(`${run.root}/dl/report.txt`, 'the report').expect(200);
    const res = await t.http.get(`${PROXY}/artifacts/${run.root}/dl/report.txt`).set(alice).responseType('blob').expect(200);
    expect(res.body.toString()).toBe('the report');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-length']).toBe('10');
    expect(res.headers['content-disposition']).toBe('attachment; filename=report.txt');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['accept-ranges']).toBe('bytes');
  });

  it('serves HTML and SVG as text/plain', async () => {
    await put(`${run.root}/dl/page.html`, '<script>alert(1)</script>').expect(200);
    const res = await t.http.get(`${PROXY}/artifacts/${run.root}/dl/page.html`).set(alice).responseType('blob').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('answers a byte range with 206 and Content-Range, a suffix range too', async () => {
    await put(`${run.root}/dl/digits.bin`, '0123456789').expect(200);
    const url = `${PROXY}/artifacts/${run.root}/dl/digits.bin`;
    const mid = await t.http.get(url).set(alice).set('Range', 'bytes=2-5').responseType('blob').expect(206);
    expect(mid.body.toString()).toBe('2345');
    expect(mid.headers['content-range']).toBe('bytes 2-5/10');
    expect(mid.headers['content-length']).toBe('4');
    const tail = await t.http.get(url).set(alice).set('Range', 'bytes=-3').responseType('blob').expect(206);
    expect(tail.body.toString()).toBe('789');
    const open = await t.http.get(url).set(alice).set('Range', 'bytes=7-').responseType('blob').expect(206);
    expect(open.body.toString()).toBe('789');
  });

  it('answers 416 with the size for a range past the end', async () => {
    await put(`${run.root}/dl/digits.bin`, '0123456789').expect(200);
    const res = await t.http.get(`${PROXY}/artifacts/${run.root}/dl/digits.bin`).set(alice).set('Range', 'bytes=10-20').expect(416);
    expect(res.headers['content-range']).toBe('bytes */10');
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('answers HEAD with the headers only', async () => {
    await put(`${run.root}/dl/digits.bin`, '0123456789').expect(200);
    const res = await t.http.head(`${PROXY}/artifacts/${run.root}/dl/digits.bin`).set(alice).expect(200);
    expect(res.headers['content-length']).toBe('10');
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST for a missing file or a directory', async () => {
    const missing = await t.http.get(`${PROXY}/artifacts/${run.root}/dl/nope.bin`).set(alice).expect(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await t.http.get(`${PROXY}/artifacts/${run.root}/dl`).set(alice).expect(404);
  });

  it('lists a directory with basenames, is_dir, and file_size for files only', async () => {
    await put(`${run.root}/listing/model/MLmodel`, 'flavors: {}').expect(200);
    await put(`${run.root}/listing/metrics.csv`, 'a,b\n').expect(200);
    const res = await t.http
      .get(`${PROXY}/artifacts`)
      .query({ path: `${run.root}/listing` })
      .set(alice)
      .expect(200);
    expect(res.body).toEqual({
      files: [
        { path: 'metrics.csv', is_dir: false, file_size: 4 },
        { path: 'model', is_dir: true },
      ],
    });
  });

  it('lists a file path or a missing directory as {} (what MLflow answers)', async () => {
    const file = await t.http
      .get(`${PROXY}/artifacts`)
      .query({ path: `${run.root}/listing/metrics.csv` })
      .set(alice)
      .expect(200);
    expect(file.body).toEqual({});
    const missing = await t.http
      .get(`${PROXY}/artifacts`)
      .query({ path: `${run.root}/nothing-here` })
      .set(alice)
      .expect(200);
    expect(missing.body).toEqual({});
  });

  it('deletes a directory recursively', async () => {
    await put(`${run.root}/gone/a.txt`, 'a').expect(200);
    await put(`${run.root}/gone/sub/b.txt`, 'b').expect(200);
    await put(`${run.root}/gone-sibling.txt`, 'stays').expect(200);
    expect((await t.http.delete(`${PROXY}/artifacts/${run.root}/gone`).set(alice).expect(200)).body).toEqual({});
    expect(await t.container.artifactStore.stat(`${run.root}/gone/sub/b.txt`)).toBeUndefined();
    expect(await stored(`${run.root}/gone-sibling.txt`)).toBe('stays');
    const res = await t.http
      .get(`${PROXY}/artifacts`)
      .query({ path: `${run.root}/gone` })
      .set(alice)
      .expect(200);
    expect(res.body).toEqual({});
  });

  it('serves the same endpoints under /ajax-api', async () => {
    await t.http.put(`/ajax-api/2.0/mlflow-artifacts/artifacts/${run.root}/ajax.txt`).set(alice).send('via ajax').expect(200);
    const res = await t.http.get(`/ajax-api/2.0/mlflow-artifacts/artifacts/${run.root}/ajax.txt`).set(alice).responseType('blob').expect(200);
    expect(res.body.toString()).toBe('via ajax');
  });

  it('stores an empty file', async () => {
    await put(`${run.root}/empty.bin`, Buffer.alloc(0)).expect(200);
    expect((await t.container.artifactStore.stat(`${run.root}/empty.bin`))?.size).toBe(0);
    const res = await t.http.get(`${PROXY}/artifacts/${run.root}/empty.bin`).set(alice).responseType('blob').expect(200);
    expect(res.headers['content-length']).toBe('0');
  });

  it('requires a bearer token', async () => {
    const res = await t.http.put(`${PROXY}/artifacts/${run.root}/anon.txt`).send('x').expect(401);
    expect(res.body.error_code).toBe('UNAUTHENTICATED');
    expect(await t.container.artifactStore.stat(`${run.root}/anon.txt`)).toBeUndefined();
  });
});
