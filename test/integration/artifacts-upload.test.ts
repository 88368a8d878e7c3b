import { bearer } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';
import { textOf } from './artifact-streams';

const UPLOAD = `${PROXY}/upload`;

describe.each([
  ['S3 store', {}],
  ['local store', { S3_ENDPOINT: '' }],
])('multipart/form-data upload on the %s', (_name, env: Record<string, string>) => {
  let t: TestApp;
  let run: RunFixture;
  let alice: { Authorization: string };

  beforeAll(async () => {
    t = await startTestApp({ ...env, MAX_UPLOAD_BYTES: '100000', MAX_UPLOAD_FILES: '3', MAX_UPLOAD_FIELD_BYTES: '200' });
    run = await createRun(t, 'alice');
    alice = bearer(t.as('alice').token);
  });
  afterAll(async () => {
    await t.close();
  });

  const stored = async (key: string) => textOf(await t.container.artifactStore.get(key));
  async function keysUnder(dir: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const f of t.container.artifactStore.walk(dir)) keys.push(f.key);
    return keys.sort();
  }

  it('stores a file sent before its path field (curl -F file=@model.onnx -F path=model/)', async () => {
    const res = await t.http.post(UPLOAD).query({ run_id: run.runId }).set(alice).attach('file', Buffer.from('onnx bytes'), 'model.onnx').field('path', 'model/').expect(200);
    expect(res.body).toEqual({ files: [{ path: 'model/model.onnx', is_dir: false, file_size: 10 }] });
    expect(await stored(`${run.root}/model/model.onnx`)).toBe('onnx bytes');
    expect(await keysUnder('')).not.toEqual(expect.arrayContaining([expect.stringContaining('.registry-upload-')]));
  });

  it('stores several files under a path given first or in the query', async () => {
    const res = await t.http
      .post(UPLOAD)
      .query({ run_id: run.runId, path: 'batch' })
      .set(alice)
      .attach('file', Buffer.from('one'), 'a.txt')
      .attach('file', Buffer.from('three'), 'b.txt')
      .expect(200);
    expect(res.body.files).toEqual([
      { path: 'batch/a.txt', is_dir: false, file_size: 3 },
      { path: 'batch/b.txt', is_dir: false, file_size: 5 },
    ]);
    await t.http.post(UPLOAD).query({ run_id: run.runId }).set(alice).field('path', 'first').attach('f', Buffer.from('x'), 'c.txt').expect(200);
    expect(await stored(`${run.root}/first/c.txt`)).toBe('x');
  });

  it('stores at the run root without a path, and anywhere the caller may write with a store path', async () => {
    await t.http.post(UPLOAD).query({ run_id: run.runId }).set(alice).attach('file', Buffer.from('r'), 'root.txt').expect(200);
    expect(await stored(`${run.root}/root.txt`)).toBe('r');
    const res = await t.http
      .post(UPLOAD)
      .query({ path: `${run.root}/direct` })
      .set(alice)
      .attach('file', Buffer.from('d'), 'd.txt')
      .expect(200);
    expect(res.body.files).toEqual([{ path: `${run.root}/direct/d.txt`, is_dir: false, file_size: 1 }]);
  });

  it('answers 413 and stores nothing for a file over MAX_UPLOAD_BYTES', async () => {
    const res = await t.http
      .post(UPLOAD)
      .query({ run_id: run.runId, path: 'too-big' })
      .set(alice)
      .attach('file', Buffer.from('small'), 'ok.txt')
      .attach('file', Buffer.alloc(100_001, 1), 'big.bin')
      .expect(413);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await keysUnder(`${run.root}/too-big`)).toEqual([]);
  });

  it('answers 413 and stores nothing for more files than MAX_UPLOAD_FILES', async () => {
    let req = t.http.post(UPLOAD).query({ run_id: run.runId, path: 'too-many' }).set(alice);
    for (let i = 0; i < 4; i++) req = req.attach('file', Buffer.from(`f${i}`), `f${i}.txt`);
    expect((await req.expect(413)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await keysUnder(`${run.root}/too-many`)).toEqual([]);
  });

  it('answers 413 for a form field over MAX_UPLOAD_FIELD_BYTES', async () => {
    const res = await t.http.post(UPLOAD).query({ run_id: run.runId }).set(alice).field('path', 'x'.repeat(300)).attach('file', Buffer.from('x'), 'x.txt');
    expect(res.status).toBe(413);
  });

  it('rejects an unsafe file name or path with 400 and stores nothing', async () => {
    const before = await keysUnder('');
    const name = await t.http.post(UPLOAD).query({ run_id: run.runId }).set(alice).attach('file', Buffer.from('x'), '..').expect(400);
    expect(name.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await t.http.post(UPLOAD).query({ run_id: run.runId }).set(alice).attach('file', Buffer.from('x'), 'ok.txt').field('path', '../../escape').expect(400);
    await t.http.post(UPLOAD).query({ run_id: run.runId, path: '/abs' }).set(alice).attach('file', Buffer.from('x'), 'ok.txt').expect(400);
    expect(await keysUnder('')).toEqual(before);
  });

  it('answers 400 for a form without files, a non-multipart body, or neither run_id nor path', async () => {
    await t.http.post(UPLOAD).query({ run_id: run.runId }).set(alice).field('path', 'x').expect(400);
    const json = await t.http.post(UPLOAD).query({ run_id: run.runId }).set(alice).send({ a: 1 }).expect(400);
    expect(json.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await t.http.post(UPLOAD).set(alice).attach('file', Buffer.from('x'), 'x.txt').expect(400);
  });

  it('refuses users without EDIT before reading the body', async () => {
    const res = await t.http
      .post(UPLOAD)
      .query({ run_id: run.runId })
      .set(bearer(t.as('bob').token))
      .attach('file', Buffer.from('x'), 'bob.txt')
      .expect(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
    expect(await t.container.artifactStore.stat(`${run.root}/bob.txt`)).toBeUndefined();
  });

  it('applies MAX_UPLOAD_BYTES to proxy PUTs too', async () => {
    const res = await t.http.put(`${PROXY}/artifacts/${run.root}/put-too-big.bin`).set(alice).send(Buffer.alloc(100_001)).expect(413);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await t.container.artifactStore.stat(`${run.root}/put-too-big.bin`)).toBeUndefined();
  });
});
