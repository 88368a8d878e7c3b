import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { LocalArtifactStore } from '../../src/storage/local-artifact-store';
import { bearer } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel } from './registry-fixtures';

/** Sends the headers and the first megabyte of a body announced much longer, then goes away. */
async function dropMidUpload(method: string, url: string, headers: http.OutgoingHttpHeaders, head: Buffer): Promise<void> {
  const req = http.request(url, { method, headers });
  req.on('error', () => undefined);
  req.write(head);
  req.write(Buffer.alloc(1024 * 1024, 7));
  await new Promise((r) => setTimeout(r, 150));
  req.destroy();
  await new Promise((r) => setTimeout(r, 150));
}

/** Every file below `dir`, relative to it. */
function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name)));
}

describe.each([
  ['S3 store', {}],
  ['local store', { S3_ENDPOINT: '' }],
])('clients that drop uploads midway, on the %s', (_name, env: Record<string, string>) => {
  let t: TestApp;
  let token: string;
  let root: string;
  let runId: string;
  let model: string;

  beforeAll(async () => {
    t = await startTestApp(env);
    const api = t.as('alice');
    token = api.token;
    const experimentId = (await api.post(`${API}/experiments/create`, { name: `uploads-${Date.now()}-${Math.random()}` }).expect(200)).body.experiment_id as string;
    runId = (await api.post(`${API}/runs/create`, { experiment_id: experimentId }).expect(200)).body.run.info.run_id as string;
    root = `${experimentId}/${runId}/artifacts`;
    model = await createModel(api);
  });
  afterAll(async () => {
    await t.close();
  });

  const boundary = 'xBOUNDARYx';
  const formHead = (field: string, file: string) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${file}"\r\nContent-Type: application/octet-stream\r\n\r\n`);

  it.each([
    ['an artifact PUT', () => ({ url: `/api/2.0/mlflow-artifacts/artifacts/${root}/put.bin`, method: 'PUT', type: 'application/octet-stream', head: Buffer.alloc(0) })],
    [
      'a form upload',
      () => ({ url: `/api/2.0/mlflow-artifacts/upload?run_id=${runId}&path=form`, method: 'POST', type: `multipart/form-data; boundary=${boundary}`, head: formHead('file', 'form.bin') }),
    ],
    [
      'a version upload',
      () => ({ url: `/api/2.0/registry/models/${model}/versions`, method: 'POST', type: `multipart/form-data; boundary=${boundary}`, head: formHead('file', 'version.bin') }),
    ],
  ])(
    'keeps serving after %s is dropped, and keeps nothing of it',
    async (_what, build) => {
      const { url, method, type, head } = build();
      for (let i = 0; i < 3; i++) {
        await dropMidUpload(method, `${t.baseUrl}${url}`, { ...bearer(token), 'Content-Type': type, 'Content-Length': 200 * 1024 * 1024 }, head);
      }
      await t.http.get('/health').expect(200);
      const stored: string[] = [];
      for await (const f of t.container.artifactStore.walk('')) stored.push(f.key);
      expect(stored).toEqual([]);
      const versions = await t
        .as('alice')
        .get(`${API}/model-versions/search`, { filter: `name = '${model}'` })
        .expect(200);
      expect(versions.body.model_versions ?? []).toEqual([]);
      // Nor any temporary file on the local disk (the S3 store keeps none there).
      if (t.container.artifactStore instanceof LocalArtifactStore) {
        const dir = t.container.artifactStore.root;
        expect(fs.existsSync(dir)).toBe(true);
        expect(filesBelow(dir)).toEqual([]);
      }
      // And a whole upload on the same route still works.
      const res = await t.http.put(`/api/2.0/mlflow-artifacts/artifacts/${root}/after.bin`).set(bearer(token)).set('Content-Type', 'application/octet-stream').send(Buffer.from('ok'));
      expect(res.status).toBe(200);
      if (t.container.artifactStore instanceof LocalArtifactStore) expect(filesBelow(t.container.artifactStore.root)).toEqual([`${root}/after.bin`]);
      await t.http.delete(`/api/2.0/mlflow-artifacts/artifacts/${root}/after.bin`).set(bearer(token)).expect(200);
    },
    60_000,
  );
});
