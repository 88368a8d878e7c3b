import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type S3rver from 's3rver';
import { startS3MultipartTestServer } from '../helpers/s3-multipart-test-server';
import { startTestApp } from '../helpers/test-app';
import { EXPERIMENT_BUILDERS } from './permissions-matrix/experiment-builders';
import { declareMatrixCases, fx, M } from './permissions-matrix/harness';

// The permission matrix (permissions-matrix/harness.ts) for the rules on experiments and their artifacts.
let s3: S3rver;
let s3Dir: string;

beforeAll(async () => {
  // The shared S3 test server cannot abort a multipart upload nor list one in progress
  // (test/helpers/s3-multipart-test-server.ts): the mpu rows need a server that can.
  s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-s3-matrix-'));
  const started = await startS3MultipartTestServer(s3Dir);
  s3 = started.s3;
  fx.t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS', S3_ENDPOINT: `http://127.0.0.1:${started.port}` });
  fx.admin = fx.t.as();
  fx.exp = (await fx.admin.post(`${M}/experiments/create`, { name: 'mx-main' }).expect(200)).body.experiment_id;
  const created = (await fx.admin.post(`${M}/runs/create`, { experiment_id: fx.exp }).expect(200)).body.run.info;
  fx.run = created.run_id;
  fx.runArtifactUri = created.artifact_uri;
  await fx.admin.post(`${M}/runs/log-metric`, { run_id: fx.run, key: 'm', value: 1, timestamp: 1 }).expect(200);
  await fx.t.container.artifactStore.put(`${fx.exp}/${fx.run}/artifacts/f.txt`, Readable.from([Buffer.from('hello')]));
  fx.loggedModel = (await fx.admin.post(`${M}/logged-models`, { experiment_id: fx.exp }).expect(200)).body.model.info.model_id;
  await fx.t.container.artifactStore.put(`${fx.exp}/models/${fx.loggedModel}/artifacts/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
}, 60_000);
afterAll(async () => {
  await fx.t?.close();
  await s3?.close();
  fs.rmSync(s3Dir, { recursive: true, force: true });
});

it('lets a user without any grant create experiments and registered models', async () => {
  await fx.t.as('nobody').post(`${M}/experiments/create`, { name: 'mx-by-nobody' }).expect(200);
  await fx.t.as('nobody').post(`${M}/registered-models/create`, { name: 'mx-by-nobody' }).expect(200);
});

declareMatrixCases(EXPERIMENT_BUILDERS);
