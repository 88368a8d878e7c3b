import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { tokenFor } from '../helpers/tokens';

let t: TestApp;
const M = '/api/2.0/mlflow';
const R = '/api/2.0/registry/models';

async function untar(buf: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out[header.name] = Buffer.concat(chunks).toString();
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    Readable.from([buf]).pipe(createGunzip()).pipe(extract);
  });
  return out;
}

const binary = (res: import('supertest').Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

const text = async (req: import('supertest').Test) => ((await req.buffer(true).parse(binary)).body as Buffer).toString();

async function versionWithFiles(name: string, files: Record<string, string>): Promise<string> {
  const exp =
    (
      await t
        .as()
        .post(`${M}/experiments/get-by-name`)
        .query({ experiment_name: 'serving' })
        .catch(() => null)
    )?.body?.experiment?.experiment_id ??
    (
      await t
        .as()
        .post(`${M}/experiments/create`, { name: `serving-${name}-${Math.random()}` })
        .expect(200)
    ).body.experiment_id;
  const run = (await t.as().post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info;
  for (const [path, content] of Object.entries(files)) {
    await t.container.artifactStore.put(`${exp}/${run.run_id}/artifacts/model/${path}`, Readable.from([Buffer.from(content)]));
  }
  const v = await t
    .as()
    .post(`${M}/model-versions/create`, { name, source: `runs:/${run.run_id}/model`, run_id: run.run_id })
    .expect(200);
  return v.body.model_version.version;
}

beforeAll(async () => {
  t = await startTestApp();
  await t.as().post(`${M}/registered-models/create`, { name: 'svc' }).expect(200);
  await versionWithFiles('svc', { MLmodel: 'flavors: v1\n', 'data/weights.bin': 'one' });
  await versionWithFiles('svc', { MLmodel: 'flavors: v2\n', 'data/weights.bin': 'two' });
  await t.as().post(`${M}/model-versions/transition-stage`, { name: 'svc', version: '1', stage: 'Production' }).expect(200);
  await t.as().post(`${M}/model-versions/transition-stage`, { name: 'svc', version: '2', stage: 'Staging' }).expect(200);
});
afterAll(async () => {
  await t.close();
});

describe('serving fetch', () => {
  it('downloads the Production model as one tar.gz and answers the next poll with 304', async () => {
    const res = await t.as().get(`${R}/svc/Production/archive`).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['x-registry-model-version']).toBe('1');
    expect(await untar(res.body as Buffer)).toEqual({ MLmodel: 'flavors: v1\n', 'data/weights.bin': 'one' });
    const etag = res.headers.etag as string;
    const again = await t.http
      .get(`${R}/svc/production/archive`)
      .set('Authorization', `Bearer ${tokenFor('admin', { admin: true })}`)
      .set('If-None-Match', etag)
      .expect(304);
    expect(again.text ?? '').toBe('');
  });

  it('changes the ETag when another version becomes Production', async () => {
    const before = (await t.as().get(`${R}/svc/Production/files/MLmodel`).expect(200)).headers.etag as string;
    await t.as().post(`${M}/model-versions/transition-stage`, { name: 'svc', version: '2', stage: 'Production', archive_existing_versions: true }).expect(200);
    const after = await t.as().get(`${R}/svc/Production/files/MLmodel`).expect(200);
    expect(after.headers.etag).not.toBe(before);
    expect(await text(t.as().get(`${R}/svc/Production/files/MLmodel`))).toBe('flavors: v2\n');
    expect(after.headers['x-registry-model-version']).toBe('2');
    await t.http
      .get(`${R}/svc/Production/files/MLmodel`)
      .set('Authorization', `Bearer ${tokenFor('admin', { admin: true })}`)
      .set('If-None-Match', before)
      .expect(200);
    await t.as().post(`${M}/model-versions/transition-stage`, { name: 'svc', version: '1', stage: 'Production', archive_existing_versions: true }).expect(200);
    await t.as().post(`${M}/model-versions/transition-stage`, { name: 'svc', version: '2', stage: 'Staging' }).expect(200);
  });

  it('resolves by alias, version number and latest, and serves ranges of one file', async () => {
    await t.as().post(`${M}/registered-models/alias`, { name: 'svc', alias: 'candidate', version: '2' }).expect(200);
    expect(await text(t.as().get(`${R}/svc/@candidate/files/data/weights.bin`).expect(200))).toBe('two');
    expect(await text(t.as().get(`${R}/svc/1/files/data/weights.bin`).expect(200))).toBe('one');
    expect((await t.as().get(`${R}/svc/latest/files/MLmodel`).expect(200)).headers['x-registry-model-version']).toBe('2');
    const part = t.http
      .get(`${R}/svc/1/files/MLmodel`)
      .set('Authorization', `Bearer ${tokenFor('admin', { admin: true })}`)
      .set('Range', 'bytes=0-6')
      .expect(206);
    expect(await text(part)).toBe('flavors');
  });

  it('lets a USE token fetch Production but not Staging (hidden: 404 by stage, 403 by number)', async () => {
    await t.as().post(`${M}/registered-models/permissions/create`, { name: 'svc', username: 'serving-job', permission: 'USE' }).expect(200);
    await t.as('serving-job').get(`${R}/svc/Production/archive`).expect(200);
    expect((await t.as('serving-job').get(`${R}/svc/Staging/archive`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as('serving-job').get(`${R}/svc/2/files/MLmodel`).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });

  it('answers 404 for unknown models, versions, aliases and files, 400 for bad stages and paths', async () => {
    expect((await t.as().get(`${R}/nope/Production/archive`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as().get(`${R}/svc/99/archive`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as().get(`${R}/svc/@ghost/archive`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as().get(`${R}/svc/Archived/archive`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as().get(`${R}/svc/1/files/missing.txt`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as().get(`${R}/svc/Live/archive`).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.as().get(`${R}/svc/1/files/..%2F..%2Fsecret`).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.as().get(`${R}/svc/1/files/data/%2e%2e/x`).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});
