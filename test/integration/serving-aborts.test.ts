import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import { type RegistryProcess, spawnRegistry, stopRegistry, waitUntilAnswering } from '../helpers/registry-process';
import { bearer, tokenFor } from '../helpers/tokens';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { generated, sha256Of } from './artifact-streams';
import { API } from './registry-fixtures';

const SIZE = 40 * 1024 * 1024;

function get(url: string, token: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(url, { headers: bearer(token) }, resolve).once('error', reject));
}

/** Reads until the first bytes arrive, then goes away, as `curl | head -c 1000` does. */
async function dropAfterFirstBytes(url: string, token: string): Promise<void> {
  const res = await get(url, token);
  expect(res.statusCode).toBe(200);
  await new Promise((resolve) => res.once('data', resolve));
  res.destroy();
}

/** Uploads `files` into a new run and registers them as version 1 of a new model, in Production. */
async function registerModel(baseUrl: string, token: string, files: ReadonlyArray<readonly [string, number]>): Promise<string> {
  const call = async (p: string, body: unknown) => {
    const res = await fetch(`${baseUrl}${API}/${p}`, { method: 'POST', headers: { ...bearer(token), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const experimentId = (await call('experiments/create', { name: `aborts-${Date.now()}-${Math.random()}` })).experiment_id as string;
  const runId = (await call('runs/create', { experiment_id: experimentId })).run.info.run_id as string;
  for (const [name, size] of files) {
    const req = http.request(`${baseUrl}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/${name}`, {
      method: 'PUT',
      headers: { ...bearer(token), 'Content-Type': 'application/octet-stream', 'Content-Length': size },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
    await pipeline(generated(size, size), req);
    const res = await response;
    res.resume();
    expect(res.statusCode).toBe(200);
  }
  const model = `aborts-${Math.random().toString(36).slice(2, 10)}`;
  await call('registered-models/create', { name: model });
  await call('model-versions/create', { name: model, source: `runs:/${runId}/model`, run_id: runId });
  await call('model-versions/transition-stage', { name: model, version: '1', stage: 'Production' });
  return model;
}

const FILES = [
  ['model/MLmodel', 1024],
  ['model/weights.bin', SIZE],
  ['model/tail.bin', 4 * 1024 * 1024],
] as const;

// The service as `npm start` runs it, in a process of its own: a crash shows as the process exiting.
describe('the service process, when archive downloads are dropped', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-aborts-'));
  let db: TestDatabase;
  let service: RegistryProcess;
  let exited = false;
  const token = tokenFor('alice');

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await spawnRegistry({ DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'fatal', S3_ENDPOINT: undefined });
    void service.exited.then(() => (exited = true));
    await waitUntilAnswering(service);
  }, 90_000);
  afterAll(async () => {
    await stopRegistry(service);
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps running and serving', async () => {
    const model = await registerModel(service.url, token, [
      ['model/MLmodel', 1024],
      ['model/weights.bin', 100 * 1024 * 1024],
    ]);
    const url = `${service.url}/api/2.0/registry/models/${model}/1/archive`;
    for (let i = 0; i < 3; i++) await dropAfterFirstBytes(url, token);
    await new Promise((r) => setTimeout(r, 1000));
    expect(exited).toBe(false);
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  }, 120_000);
});

describe.each([
  ['S3 store', {}],
  ['local store', { S3_ENDPOINT: '' }],
])('clients that drop serving downloads midway, on the %s', (_name, env: Record<string, string>) => {
  let t: TestApp;
  let token: string;
  let model: string;

  beforeAll(async () => {
    t = await startTestApp(env);
    token = t.as('alice').token;
    model = await registerModel(t.baseUrl, token, FILES);
  }, 120_000);
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['the archive', '/Production/archive'],
    ['the archive by version', '/1/archive'],
    ['one file', '/Production/files/weights.bin'],
  ])(
    'keeps serving after clients drop %s',
    async (_what, suffix) => {
      const url = `${t.baseUrl}/api/2.0/registry/models/${model}${suffix}`;
      for (let i = 0; i < 5; i++) await dropAfterFirstBytes(url, token);
      await t.http.get('/health').expect(200);
      // The service still serves the whole thing, byte for byte.
      const res = await get(url, token);
      expect(res.statusCode).toBe(200);
      const body = suffix.endsWith('archive') ? res.pipe(createGunzip()) : res;
      const { bytes } = await sha256Of(body);
      expect(bytes).toBeGreaterThanOrEqual(SIZE);
    },
    120_000,
  );
});
