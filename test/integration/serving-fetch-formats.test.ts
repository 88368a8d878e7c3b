import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type request from 'supertest';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { bearer, tokenFor } from '../helpers/tokens';

// The archive forms stock tools pick by the URL's ending (KServe's storage initializer, curl | tar)
// and MLflow UI's model-versions/get-artifact. Archives are unpacked by real tools: tar and
// Python's zipfile.

const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Path -> digest: toEqual on megabytes of Buffer is slow. */
const digests = (files: Record<string, Buffer>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, sha256(v)]));
let t: TestApp;
let work: string;
const M = '/api/2.0/mlflow';
const R = '/api/2.0/registry/models';

type NodeParser = Exclude<Parameters<request.Test['parse']>[0], (str: string) => unknown>;
const binary: NodeParser = (res, cb) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** v1 (Production) and v2 (None, @champion: protected); v3 is in Staging behind @candidate. The files: text, binary (incompressible), nested, empty. */
const V1: Record<string, Buffer> = {
  MLmodel: Buffer.from('flavors:\n  onnx: {}\n'),
  'model.onnx': randomBytes(300_000),
  'data/nested/deep.txt': Buffer.from('deep one\n'.repeat(1000)),
  'empty.txt': Buffer.alloc(0),
};
const V2: Record<string, Buffer> = { MLmodel: Buffer.from('flavors: v2\n'), 'model.onnx': randomBytes(1000) };

async function versionWithFiles(name: string, files: Record<string, Buffer>, app: TestApp = t): Promise<string> {
  const exp = (
    await app
      .as()
      .post(`${M}/experiments/create`, { name: `fetch-${name}-${Math.random()}` })
      .expect(200)
  ).body.experiment_id;
  const runInfo = (await app.as().post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info;
  for (const [p, content] of Object.entries(files)) {
    await app.container.artifactStore.put(`${exp}/${runInfo.run_id}/artifacts/model/${p}`, Readable.from([content]));
  }
  const v = await app
    .as()
    .post(`${M}/model-versions/create`, { name, source: `runs:/${runInfo.run_id}/model`, run_id: runInfo.run_id })
    .expect(200);
  return v.body.model_version.version;
}

/** Every file under `dir`, relative path -> bytes. */
async function filesIn(dir: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = await fs.readFile(full);
  }
  return out;
}

async function unpack(body: Buffer, form: 'tar.gz' | 'zip'): Promise<Record<string, Buffer>> {
  const dir = await fs.mkdtemp(path.join(work, 'x-'));
  const file = path.join(dir, `a.${form}`);
  await fs.writeFile(file, body);
  const into = path.join(dir, 'out');
  await fs.mkdir(into);
  if (form === 'zip') await run('python3', ['-m', 'zipfile', '-e', file, into]);
  else await run('tar', ['-xzf', file, '-C', into]);
  return filesIn(into);
}

/**
 * What KServe's storage initializer does with an http(s) storageUri (kserve_storage.py
 * _download_from_uri), in Python's standard library: the headers of its Secret, the type guessed
 * from the URL's ending, the Content-Type it insists on, gunzip then tar (filter 'data') or unzip.
 */
const KSERVE_LIKE = `
import gzip, json, mimetypes, os, shutil, sys, tarfile, urllib.request, zipfile
from urllib.parse import urlparse
uri, headers, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
path = urlparse(uri).path
mimetype, encoding = mimetypes.guess_type(path)
with urllib.request.urlopen(urllib.request.Request(uri, headers=headers)) as res:
    ctype = res.headers.get('Content-Type', '')
    wanted = {'application/zip': ('application/zip',), 'application/x-tar': ('application/x-tar', 'application/gzip', 'application/x-gzip')}[mimetype]
    if not ctype.startswith(wanted): sys.exit('unexpected Content-Type ' + ctype)
    local = os.path.join(out, os.path.basename(path) + ('.tar' if encoding == 'gzip' else ''))
    with open(local, 'wb') as f:
        shutil.copyfileobj(gzip.GzipFile(fileobj=res) if encoding == 'gzip' else res, f)
if mimetype == 'application/x-tar':
    with tarfile.open(local) as a: a.extractall(out, filter='data')
else:
    with zipfile.ZipFile(local) as a: a.extractall(out)
os.remove(local)
`;

const get = (url: string, token = tokenFor('admin', { admin: true })) => t.http.get(url).set(bearer(token)).buffer(true).parse(binary);

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'fetch-formats-'));
  t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
  await t.as().post(`${M}/registered-models/create`, { name: 'fmt' }).expect(200);
  await versionWithFiles('fmt', V1);
  await versionWithFiles('fmt', V2);
  await versionWithFiles('fmt', { MLmodel: Buffer.from('v3\n') });
  await t.as().post(`${M}/model-versions/transition-stage`, { name: 'fmt', version: '1', stage: 'Production' }).expect(200);
  await t.as().post(`${M}/model-versions/transition-stage`, { name: 'fmt', version: '3', stage: 'Staging' }).expect(200);
  await t.as().post(`${M}/registered-models/alias`, { name: 'fmt', alias: 'champion', version: '2' }).expect(200);
  await t.as().post(`${M}/registered-models/alias`, { name: 'fmt', alias: 'candidate', version: '3' }).expect(200);
  await t.as().post(`${M}/registered-models/permissions/create`, { name: 'fmt', username: 'kserve', permission: 'USE' }).expect(200);
  await t.as().post(`${M}/registered-models/permissions/create`, { name: 'fmt', username: 'reader', permission: 'READ' }).expect(200);
});
afterAll(async () => {
  await t.close();
  await fs.rm(work, { recursive: true, force: true });
});

describe.each([
  ['tar.gz', 'application/gzip'],
  ['zip', 'application/zip'],
] as const)('archive.%s', (form, type) => {
  it("unpacks with a stock tool to the version's files, byte for byte, and answers a matching If-None-Match with 304", async () => {
    const res = await get(`${R}/fmt/Production/archive.${form}`).expect(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['content-disposition']).toBe(`attachment; filename=fmt-v1.${form}`);
    expect(res.headers['x-registry-model-version']).toBe('1');
    expect(digests(await unpack(res.body as Buffer, form))).toEqual(digests(V1));

    const etag = res.headers.etag as string;
    // The ETag names the version, whatever the archive's form.
    expect((await get(`${R}/fmt/Production/archive`).expect(200)).headers.etag).toBe(etag);
    const again = await get(`${R}/fmt/Production/archive.${form}`).set('If-None-Match', etag).expect(304);
    expect((again.body as Buffer).length).toBe(0);
    expect(again.headers['x-registry-model-version']).toBe('1');
    await get(`${R}/fmt/Production/archive.${form}`).set('If-None-Match', '"another"').expect(200);
  });

  it("is what KServe's storage initializer fetches and unpacks, with a USE token in its headers", async () => {
    const out = await fs.mkdtemp(path.join(work, 'kserve-'));
    const headers = JSON.stringify({ Authorization: `Bearer ${tokenFor('kserve')}` });
    await run('python3', ['-c', KSERVE_LIKE, `${t.baseUrl}${R}/fmt/Production/archive.${form}`, headers, out]);
    expect(digests(await filesIn(out))).toEqual(digests(V1));
  });

  it('lets a USE token fetch Production and protected aliases only', async () => {
    const use = tokenFor('kserve');
    expect(digests(await unpack((await get(`${R}/fmt/Production/archive.${form}`, use).expect(200)).body as Buffer, form))).toEqual(digests(V1));
    const champion = await get(`${R}/fmt/@champion/archive.${form}`, use).expect(200);
    expect(champion.headers['x-registry-model-version']).toBe('2');
    expect(digests(await unpack(champion.body as Buffer, form))).toEqual(digests(V2));
    expect(JSON.parse((await get(`${R}/fmt/@candidate/archive.${form}`, use).expect(403)).body.toString()).error_code).toBe('PERMISSION_DENIED');
    expect(JSON.parse((await get(`${R}/fmt/3/archive.${form}`, use).expect(403)).body.toString()).error_code).toBe('PERMISSION_DENIED');
    expect(JSON.parse((await get(`${R}/fmt/Staging/archive.${form}`, use).expect(404)).body.toString()).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(JSON.parse((await get(`${R}/fmt/Production/archive.${form}`, tokenFor('stranger')).expect(403)).body.toString()).error_code).toBe('PERMISSION_DENIED');
    await t.http.get(`${R}/fmt/Production/archive.${form}`).expect(401);
  });
});

describe('archive.zip when the client goes away', () => {
  // Local artifacts (fast to fill with megabytes): the zip is far larger than the socket buffers.
  let local: TestApp;
  beforeAll(async () => {
    local = await startTestApp({ S3_ENDPOINT: '' });
  });
  afterAll(async () => {
    await local.close();
  });

  it('survives clients that go away mid-zip and keeps serving whole archives', async () => {
    const admin = tokenFor('admin', { admin: true });
    await local.as().post(`${M}/registered-models/create`, { name: 'big' }).expect(200);
    const big = randomBytes(6 * 1024 * 1024);
    await versionWithFiles('big', { MLmodel: Buffer.from('x\n'), 'a.bin': big, 'b.bin': big }, local);
    const url = `${local.baseUrl}${R}/big/1/archive.zip`;
    for (let i = 0; i < 10; i++) {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, { headers: bearer(admin) }, resolve).once('error', reject));
      expect(res.statusCode).toBe(200);
      await new Promise((resolve) => res.once('data', resolve));
      res.destroy();
    }
    const whole = await local.http.get(`${R}/big/1/archive.zip`).set(bearer(admin)).buffer(true).parse(binary).expect(200);
    expect(digests(await unpack(whole.body as Buffer, 'zip'))).toEqual(digests({ MLmodel: Buffer.from('x\n'), 'a.bin': big, 'b.bin': big }));
  }, 60_000);
});

describe('model-versions/get-artifact (MLflow UI)', () => {
  const AJAX = '/ajax-api/2.0/mlflow';

  it("streams one file of a version to a READ caller, with MLflow's download headers", async () => {
    const res = await get(`${AJAX}/model-versions/get-artifact?name=fmt&version=1&path=data/nested/deep.txt`, tokenFor('reader')).expect(200);
    expect(res.body).toEqual(V1['data/nested/deep.txt']);
    expect(res.headers['content-disposition']).toBe('attachment; filename=deep.txt');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // Any stage: READ sees versions that USE does not.
    expect((await get(`${AJAX}/model-versions/get-artifact?name=fmt&version=3&path=MLmodel`, tokenFor('reader')).expect(200)).body.toString()).toBe('v3\n');
    expect((await get(`${M}/model-versions/get-artifact?name=fmt&version=2&path=model.onnx`).expect(200)).body).toEqual(V2['model.onnx']);
  });

  it('refuses USE and strangers, and answers 404 and 400 like every artifact read', async () => {
    const err = async (url: string, status: number, token?: string) => JSON.parse((await get(url, token).expect(status)).body.toString()).error_code;
    expect(await err(`${AJAX}/model-versions/get-artifact?name=fmt&version=1&path=MLmodel`, 403, tokenFor('kserve'))).toBe('PERMISSION_DENIED');
    expect(await err(`${AJAX}/model-versions/get-artifact?name=fmt&version=1&path=MLmodel`, 403, tokenFor('stranger'))).toBe('PERMISSION_DENIED');
    expect(await err(`${AJAX}/model-versions/get-artifact?name=fmt&version=1&path=missing.txt`, 404)).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await err(`${AJAX}/model-versions/get-artifact?name=fmt&version=9&path=MLmodel`, 404)).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await err(`${AJAX}/model-versions/get-artifact?name=nope&version=1&path=MLmodel`, 404)).toBe('RESOURCE_DOES_NOT_EXIST');
    for (const bad of ['../../secret', '/etc/passwd', 'data/%2e%2e/x', 'data//x', 'a\\b']) {
      expect(await err(`${AJAX}/model-versions/get-artifact?name=fmt&version=1&path=${encodeURIComponent(bad)}`, 400)).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await err(`${AJAX}/model-versions/get-artifact?name=fmt&version=1`, 400)).toBe('INVALID_PARAMETER_VALUE');
  });
});
