import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type S3rver from 's3rver';
import type request from 'supertest';
import type { PermissionRule } from '../../src/http/route-table';
import type { S3ArtifactStore } from '../../src/storage/s3-artifact-store';
import { startS3MultipartTestServer } from '../helpers/s3-multipart-test-server';
import { declaredRules } from '../helpers/routes';
import { atLeast, EXPERIMENT_LEVELS, type Level, MODEL_LEVELS } from '../../src/modules/permissions/permission-levels';
import { textOf } from './artifact-streams';
import { type ApiClient, startTestApp, type TestApp } from '../helpers/test-app';

// Every permission rule of the route table (permissionRules) × every level of its resource type:
// at or above the table's level the request succeeds (the exact 2xx the endpoint answers, and
// what it changed), below it 403 PERMISSION_DENIED. Each row has a real resource behind it: a
// row whose success needs set-up (a version in a stage, an alias, a file) gets it, and a row that
// changes what it acts on gets its own experiment, run or model, so rows never disturb each other.
const M = '/api/2.0/mlflow';
const MA = '/api/2.0/mlflow-artifacts';
const A = `${MA}/artifacts`;
const R = '/api/2.0/registry';

let s3: S3rver;
let s3Dir: string;
let t: TestApp;
let admin: ApiClient;
/** Shared, never changed by any row: experiment mx-main, its run with metric m and files, a logged model with a file. */
let exp: string;
let run: string;
let runArtifactUri: string;
let loggedModel: string;
/** Shared registered model 'mx', never changed in ways another row reads: v1 in None, v2 in Production with files and alias 'current'. */
let mx = '';
let seq = 0;
const next = () => ++seq;

interface Case {
  user: string;
  level: Level;
}
interface Target {
  resourceId: string;
  /** `c` is the caller's client; `who` says who it is (a row that names the caller, e.g. reading one's own grant). */
  call(c: ApiClient, who: Case): request.Test;
  /** Asserts the response of an allowed level (exact status and body) and, where cheap, the effect. */
  allowed(res: request.Response, c: Case): Promise<void> | void;
}
type Builder = () => Promise<Target>;

/** Status and body together, so a failing row shows what the server answered. */
function expectOk(res: request.Response, body: unknown = {}, status = 200): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body });
}

async function newExperiment(): Promise<string> {
  return (await admin.post(`${M}/experiments/create`, { name: `mx-exp-${next()}` }).expect(200)).body.experiment_id;
}
async function experiment(id: string) {
  return (await admin.get(`${M}/experiments/get`, { experiment_id: id }).expect(200)).body.experiment;
}
async function newRun(): Promise<string> {
  return (await admin.post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id;
}
async function runOf(id: string) {
  return (await admin.get(`${M}/runs/get`, { run_id: id }).expect(200)).body.run;
}
async function modelId(name: string): Promise<string> {
  return String((await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } })).id);
}
/** A registered model of its own, with one version per stage given (v1, v2, … with external sources). */
async function newModel(...stages: Array<'None' | 'Staging' | 'Production'>): Promise<{ name: string; id: string }> {
  const name = `mx-model-${next()}`;
  await admin.post(`${M}/registered-models/create`, { name }).expect(200);
  for (const stage of stages) {
    const v = (await admin.post(`${M}/model-versions/create`, { name, source: `s3://b/${name}/${next()}` }).expect(200)).body.model_version.version;
    if (stage !== 'None') await admin.post(`${M}/model-versions/transition-stage`, { name, version: v, stage }).expect(200);
  }
  return { name, id: await modelId(name) };
}
const versionStatus = async (name: string, version: string) => (await admin.get(`${M}/model-versions/get`, { name, version })).status;
const put = (c: ApiClient, path: string, body: string) => t.http.put(path).set('Authorization', `Bearer ${c.token}`).set('Content-Type', 'text/plain').send(body);
/** A multipart/form-data POST by `c` (attach the files to it). */
const form = (c: ApiClient, path: string) => t.http.post(path).set('Authorization', `Bearer ${c.token}`);
const keysOf = (tags: Array<{ key: string }> | undefined) => (tags ?? []).map((x) => x.key);
/** The levels stored for `principal` on the resource (none, or one). */
async function grantLevels(resourceType: 'experiment' | 'registered_model', resourceId: string, principal: string): Promise<string[]> {
  return (await t.container.prisma.permissionGrant.findMany({ where: { resourceType, resourceId, principal } })).map((g) => g.level);
}
async function newLoggedModel(): Promise<string> {
  return (await admin.post(`${M}/logged-models`, { experiment_id: exp }).expect(200)).body.model.info.model_id;
}
async function loggedModelOf(id: string) {
  return (await admin.get(`${M}/logged-models/${id}`).expect(200)).body.model;
}
/** A multipart upload of `<dir>/big.bin` started by the admin, with its one part sent. */
async function startedUpload(dir: string, content: string): Promise<{ uploadId: string; etag: string }> {
  const created = await admin.post(`${MA}/mpu/create/${dir}`, { path: 'big.bin', num_parts: 1 }).expect(200);
  const part = await fetch(created.body.credentials[0].url, { method: 'PUT', body: content });
  expect(part.status).toBe(200);
  return { uploadId: created.body.upload_id, etag: part.headers.get('etag') ?? '' };
}
/** The ids of the multipart uploads in progress for `key`, as the S3 server lists them. */
async function uploadsOf(key: string): Promise<string[]> {
  const store = t.container.artifactStore as S3ArtifactStore;
  const ids: string[] = [];
  for await (const u of store.client.listIncompleteUploads(store.bucket, key, true)) if (u.key === key) ids.push(String(u.uploadId));
  return ids;
}
type NodeParser = Exclude<Parameters<request.Test['parse']>[0], (str: string) => unknown>;
/** Buffers any body; JSON (an error) is still parsed. */
const binary: NodeParser = (res, cb) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const buf = Buffer.concat(chunks);
    cb(null, /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(buf.toString('utf8')) : buf);
  });
};

const onExp = (call: Target['call'], allowed: Target['allowed']): Builder => async () => ({ resourceId: exp, call, allowed });
const onModel = (call: Target['call'], allowed: Target['allowed']): Builder => async () => ({ resourceId: mx, call, allowed });

/** What a USE caller sees of mx (Production only) and what READ and above see. */
const mxVersionsSeenAt = (level: Level) =>
  level === 'USE'
    ? [{ version: '2', current_stage: 'Production' }]
    : [
        { version: '1', current_stage: 'None' },
        { version: '2', current_stage: 'Production' },
      ];
const stagesOf = (versions: Array<{ version: string; current_stage: string }> | undefined) =>
  (versions ?? []).map((v) => ({ version: v.version, current_stage: v.current_stage })).sort((a, b) => Number(a.version) - Number(b.version));

const BUILDERS: Record<string, Builder> = {
  'experiments.get': onExp(
    (c) => c.get(`${M}/experiments/get`, { experiment_id: exp }),
    (res) => expectOk(res, { experiment: expect.objectContaining({ experiment_id: exp, name: 'mx-main', lifecycle_stage: 'active' }) }),
  ),
  'experiments.get-by-name': onExp(
    (c) => c.get(`${M}/experiments/get-by-name`, { experiment_name: 'mx-main' }),
    (res) => expectOk(res, { experiment: expect.objectContaining({ experiment_id: exp, name: 'mx-main' }) }),
  ),
  'experiments.update': async () => {
    const id = await newExperiment();
    const newName = `mx-renamed-${next()}`;
    return {
      resourceId: id,
      call: (c) => c.post(`${M}/experiments/update`, { experiment_id: id, new_name: newName }),
      allowed: async (res) => {
        expectOk(res);
        expect((await experiment(id)).name).toBe(newName);
      },
    };
  },
  'experiments.set-experiment-tag': async () => {
    const tag = { key: `t${next()}`, value: `v${next()}` };
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/experiments/set-experiment-tag`, { experiment_id: exp, ...tag }),
      allowed: async (res) => {
        expectOk(res);
        expect((await experiment(exp)).tags).toContainEqual(tag);
      },
    };
  },
  'experiments.delete-experiment-tag': async () => {
    const key = `t${next()}`;
    await admin.post(`${M}/experiments/set-experiment-tag`, { experiment_id: exp, key, value: 'v' }).expect(200);
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/experiments/delete-experiment-tag`, { experiment_id: exp, key }),
      allowed: async (res) => {
        expectOk(res);
        expect(((await experiment(exp)).tags ?? []).map((x: { key: string }) => x.key)).not.toContain(key);
      },
    };
  },
  'experiments.delete': async () => {
    const id = await newExperiment();
    return {
      resourceId: id,
      call: (c) => c.post(`${M}/experiments/delete`, { experiment_id: id }),
      allowed: async (res) => {
        expectOk(res);
        expect((await experiment(id)).lifecycle_stage).toBe('deleted');
      },
    };
  },
  'experiments.restore': async () => {
    const id = await newExperiment();
    await admin.post(`${M}/experiments/delete`, { experiment_id: id }).expect(200);
    return {
      resourceId: id,
      call: (c) => c.post(`${M}/experiments/restore`, { experiment_id: id }),
      allowed: async (res) => {
        expectOk(res);
        expect((await experiment(id)).lifecycle_stage).toBe('active');
      },
    };
  },
  'runs.create': onExp(
    (c) => c.post(`${M}/runs/create`, { experiment_id: exp }),
    async (res, { user }) => {
      expectOk(res, { run: expect.objectContaining({ info: expect.objectContaining({ experiment_id: exp, user_id: user, status: 'RUNNING', lifecycle_stage: 'active' }) }) });
      expect((await runOf(res.body.run.info.run_id)).info.experiment_id).toBe(exp);
    },
  ),
  'runs.get': onExp(
    (c) => c.get(`${M}/runs/get`, { run_id: run }),
    (res) => expectOk(res, { run: expect.objectContaining({ info: expect.objectContaining({ run_id: run, experiment_id: exp }) }) }),
  ),
  'runs.update': async () => {
    const id = await newRun();
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/update`, { run_id: id, status: 'FINISHED', end_time: 1234 }),
      allowed: async (res) => {
        expectOk(res, { run_info: expect.objectContaining({ run_id: id, status: 'FINISHED', end_time: 1234 }) });
        expect((await runOf(id)).info).toMatchObject({ status: 'FINISHED', end_time: 1234 });
      },
    };
  },
  'runs.log-metric': async () => {
    const key = `lm${next()}`;
    const timestamp = next();
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/log-metric`, { run_id: run, key, value: 7, timestamp }),
      allowed: async (res) => {
        expectOk(res);
        const history = await admin.get(`${M}/metrics/get-history`, { run_id: run, metric_key: key }).expect(200);
        expect(history.body.metrics).toEqual([{ key, value: 7, timestamp, step: 0 }]);
      },
    };
  },
  'runs.log-parameter': async () => {
    const param = { key: `p${next()}`, value: `v${next()}` };
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/log-parameter`, { run_id: run, ...param }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(run)).data.params).toContainEqual(param);
      },
    };
  },
  'runs.log-batch': async () => {
    const key = `b${next()}`;
    const timestamp = next();
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/log-batch`, { run_id: run, metrics: [{ key, value: 3, timestamp }] }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(run)).data.metrics).toContainEqual({ key, value: 3, timestamp, step: 0 });
      },
    };
  },
  'runs.set-tag': async () => {
    const tag = { key: `t${next()}`, value: `v${next()}` };
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/set-tag`, { run_id: run, ...tag }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(run)).data.tags).toContainEqual(tag);
      },
    };
  },
  'runs.log-inputs': async () => {
    const dataset = { name: `ds${next()}`, digest: `d${next()}`, source_type: 'local', source: '/data/train.csv' };
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/log-inputs`, { run_id: run, datasets: [{ dataset }] }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(run)).inputs.dataset_inputs.map((i: { dataset: unknown }) => i.dataset)).toContainEqual(dataset);
      },
    };
  },
  'runs.outputs': async () => {
    const step = next();
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/outputs`, { run_id: run, models: [{ model_id: loggedModel, step }] }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(run)).outputs.model_outputs).toContainEqual({ model_id: loggedModel, step });
      },
    };
  },
  'runs.delete': async () => {
    const id = await newRun();
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/delete`, { run_id: id }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(id)).info.lifecycle_stage).toBe('deleted');
      },
    };
  },
  'runs.restore': async () => {
    const id = await newRun();
    await admin.post(`${M}/runs/delete`, { run_id: id }).expect(200);
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/restore`, { run_id: id }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(id)).info.lifecycle_stage).toBe('active');
      },
    };
  },
  'metrics.get-history': onExp(
    (c) => c.get(`${M}/metrics/get-history`, { run_id: run, metric_key: 'm' }),
    (res) => expectOk(res, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] }),
  ),
  'artifacts.list': onExp(
    (c) => c.get(`${M}/artifacts/list`, { run_id: run }),
    (res) => expectOk(res, { root_uri: runArtifactUri, files: expect.arrayContaining([{ path: 'f.txt', is_dir: false, file_size: 5 }]) }),
  ),
  'mlflow-artifacts.get': onExp(
    (c) => c.get(`${A}/${exp}/${run}/artifacts/f.txt`),
    (res) => {
      expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: 'hello' });
    },
  ),
  'mlflow-artifacts.list': onExp(
    (c) => c.get(A, { path: `${exp}/${run}/artifacts` }),
    (res) => expectOk(res, { files: expect.arrayContaining([{ path: 'f.txt', is_dir: false, file_size: 5 }]) }),
  ),
  'mlflow-artifacts.put': async () => {
    const key = `${exp}/${run}/artifacts/up-${next()}.txt`;
    const content = `uploaded ${next()}`;
    return {
      resourceId: exp,
      call: (c) => put(c, `${A}/${key}`, content),
      allowed: async (res) => {
        expectOk(res);
        expect(await textOf(await t.container.artifactStore.get(key))).toBe(content);
      },
    };
  },
  'mlflow-artifacts.delete': async () => {
    const key = `${exp}/${run}/artifacts/del-${next()}.txt`;
    await t.container.artifactStore.put(key, Readable.from([Buffer.from('x')]));
    return {
      resourceId: exp,
      call: (c) => c.delete(`${A}/${key}`),
      allowed: async (res) => {
        expectOk(res);
        expect(await t.container.artifactStore.stat(key)).toBeUndefined();
      },
    };
  },
  'logged-models.create': onExp(
    (c) => c.post(`${M}/logged-models`, { experiment_id: exp }),
    async (res) => {
      expectOk(res, { model: expect.objectContaining({ info: expect.objectContaining({ experiment_id: exp, model_id: expect.any(String) }) }) });
      await admin.get(`${M}/logged-models/${res.body.model.info.model_id}`).expect(200);
    },
  ),
  'logged-models.get': onExp(
    (c) => c.get(`${M}/logged-models/${loggedModel}`),
    (res) => expectOk(res, { model: expect.objectContaining({ info: expect.objectContaining({ model_id: loggedModel, experiment_id: exp }) }) }),
  ),
  'experiments.permissions.list': async () => {
    const id = await newExperiment();
    return {
      resourceId: id,
      call: (c) => c.get(`${M}/experiments/permissions/list`, { experiment_id: id }),
      allowed: (res, { user, level }) => {
        expectOk(res, { permissions: expect.arrayContaining([{ user_id: 'admin', permission: 'MANAGE' }, { user_id: user, permission: level }]) });
        expect(res.body.permissions).toHaveLength(2);
      },
    };
  },
  'experiments.permissions.create': async () => {
    const grantee = `someone-${next()}`;
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: grantee, permission: 'READ' }),
      allowed: async (res) => {
        expectOk(res, { experiment_permission: { experiment_id: exp, user_id: grantee, permission: 'READ' } });
        expect(await grantLevels('experiment', exp, grantee)).toEqual(['READ']);
      },
    };
  },
  'runs.delete-tag': async () => {
    const key = `t${next()}`;
    await admin.post(`${M}/runs/set-tag`, { run_id: run, key, value: 'v' }).expect(200);
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/delete-tag`, { run_id: run, key }),
      allowed: async (res) => {
        expectOk(res);
        expect(keysOf((await runOf(run)).data.tags)).not.toContain(key);
      },
    };
  },
  'runs.log-model': async () => {
    const model = { artifact_path: `model-${next()}`, flavors: {}, utc_time_created: '2025-01-01 00:00:00.000000', run_id: run };
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/runs/log-model`, { run_id: run, model_json: JSON.stringify(model) }),
      allowed: async (res) => {
        expectOk(res);
        const history = ((await runOf(run)).data.tags as Array<{ key: string; value: string }>).find((x) => x.key === 'mlflow.log-model.history');
        expect(JSON.parse(history?.value ?? '[]')).toContainEqual(model);
      },
    };
  },
  'metrics.get-history-bulk-interval': onExp(
    (c) => c.get(`${M}/metrics/get-history-bulk-interval`, { run_ids: [run], metric_key: 'm' }),
    (res) => expectOk(res, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0, run_id: run }] }),
  ),
  'mlflow-artifacts.mpu.create': async () => {
    const dir = `${exp}/${run}/artifacts/mpu-${next()}`;
    return {
      resourceId: exp,
      call: (c) => c.post(`${MA}/mpu/create/${dir}`, { path: '/home/me/big.bin', num_parts: 2 }),
      allowed: async (res) => {
        expectOk(res, {
          upload_id: expect.any(String),
          credentials: [
            { url: expect.stringContaining('partNumber=1'), part_number: 1 },
            { url: expect.stringContaining('partNumber=2'), part_number: 2 },
          ],
        });
        expect(await uploadsOf(`${dir}/big.bin`)).toEqual([res.body.upload_id]);
      },
    };
  },
  'mlflow-artifacts.mpu.complete': async () => {
    const dir = `${exp}/${run}/artifacts/mpu-${next()}`;
    const content = `parts ${next()}`;
    const { uploadId, etag } = await startedUpload(dir, content);
    return {
      resourceId: exp,
      call: (c) => c.post(`${MA}/mpu/complete/${dir}`, { path: 'big.bin', upload_id: uploadId, parts: [{ part_number: 1, etag }] }),
      allowed: async (res) => {
        expectOk(res);
        expect(await textOf(await t.container.artifactStore.get(`${dir}/big.bin`))).toBe(content);
      },
    };
  },
  'mlflow-artifacts.mpu.abort': async () => {
    const dir = `${exp}/${run}/artifacts/mpu-${next()}`;
    const { uploadId } = await startedUpload(dir, 'partial');
    return {
      resourceId: exp,
      call: (c) => c.post(`${MA}/mpu/abort/${dir}`, { path: 'big.bin', upload_id: uploadId }),
      allowed: async (res) => {
        expectOk(res);
        expect(await uploadsOf(`${dir}/big.bin`)).toEqual([]);
      },
    };
  },
  'mlflow-artifacts.upload': async () => {
    const dir = `form-${next()}`;
    const content = `form ${next()}`;
    return {
      resourceId: exp,
      call: (c) => form(c, `${MA}/upload`).query({ run_id: run, path: dir }).attach('file', Buffer.from(content), 'f.bin'),
      allowed: async (res) => {
        expectOk(res, { files: [{ path: `${dir}/f.bin`, is_dir: false, file_size: content.length }] });
        expect(await textOf(await t.container.artifactStore.get(`${exp}/${run}/artifacts/${dir}/f.bin`))).toBe(content);
      },
    };
  },
  'logged-models.finalize': async () => {
    const id = await newLoggedModel();
    return {
      resourceId: exp,
      call: (c) => c.patch(`${M}/logged-models/${id}`, { status: 'LOGGED_MODEL_READY' }),
      allowed: async (res) => {
        expectOk(res, { model: expect.objectContaining({ info: expect.objectContaining({ model_id: id, status: 'LOGGED_MODEL_READY' }) }) });
        expect((await loggedModelOf(id)).info.status).toBe('LOGGED_MODEL_READY');
      },
    };
  },
  'logged-models.delete': async () => {
    const id = await newLoggedModel();
    return {
      resourceId: exp,
      call: (c) => c.delete(`${M}/logged-models/${id}`),
      allowed: async (res) => {
        expectOk(res);
        expect((await admin.get(`${M}/logged-models/${id}`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      },
    };
  },
  'logged-models.set-tags': async () => {
    const tag = { key: `t${next()}`, value: `v${next()}` };
    return {
      resourceId: exp,
      call: (c) => c.patch(`${M}/logged-models/${loggedModel}/tags`, { tags: [tag] }),
      allowed: async (res) => {
        expectOk(res, { model: expect.objectContaining({ info: expect.objectContaining({ model_id: loggedModel, tags: expect.arrayContaining([tag]) }) }) });
        expect((await loggedModelOf(loggedModel)).info.tags).toContainEqual(tag);
      },
    };
  },
  'logged-models.delete-tag': async () => {
    const key = `t${next()}`;
    await admin.patch(`${M}/logged-models/${loggedModel}/tags`, { tags: [{ key, value: 'v' }] }).expect(200);
    return {
      resourceId: exp,
      call: (c) => c.delete(`${M}/logged-models/${loggedModel}/tags/${key}`),
      allowed: async (res) => {
        expectOk(res);
        expect(keysOf((await loggedModelOf(loggedModel)).info.tags)).not.toContain(key);
      },
    };
  },
  'logged-models.log-params': async () => {
    const param = { key: `p${next()}`, value: `v${next()}` };
    return {
      resourceId: exp,
      call: (c) => c.post(`${M}/logged-models/${loggedModel}/params`, { params: [param] }),
      allowed: async (res) => {
        expectOk(res);
        expect((await loggedModelOf(loggedModel)).data.params).toContainEqual(param);
      },
    };
  },
  'logged-models.list-artifacts': onExp(
    (c) => c.get(`${M}/logged-models/${loggedModel}/artifacts/directories`),
    (res) => expectOk(res, { root_uri: `mlflow-artifacts:/${exp}/models/${loggedModel}/artifacts`, files: [{ path: 'MLmodel', is_dir: false, file_size: 12 }] }),
  ),
  // NO_PERMISSIONS: anyone may read their own grant, whatever its level.
  'experiments.permissions.get': onExp(
    (c, { user }) => c.get(`${M}/experiments/permissions/get`, { experiment_id: exp, username: user }),
    (res, { user, level }) => expectOk(res, { experiment_permission: { experiment_id: exp, user_id: user, permission: level } }),
  ),
  'experiments.permissions.get.other': onExp(
    (c) => c.get(`${M}/experiments/permissions/get`, { experiment_id: exp, username: 'admin' }),
    (res) => expectOk(res, { experiment_permission: { experiment_id: exp, user_id: 'admin', permission: 'MANAGE' } }),
  ),
  'experiments.permissions.update': async () => {
    const grantee = `someone-${next()}`;
    await admin.post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: grantee, permission: 'READ' }).expect(200);
    return {
      resourceId: exp,
      call: (c) => c.patch(`${M}/experiments/permissions/update`, { experiment_id: exp, username: grantee, permission: 'EDIT' }),
      allowed: async (res) => {
        expectOk(res);
        expect(await grantLevels('experiment', exp, grantee)).toEqual(['EDIT']);
      },
    };
  },
  'experiments.permissions.delete': async () => {
    const grantee = `someone-${next()}`;
    await admin.post(`${M}/experiments/permissions/create`, { experiment_id: exp, username: grantee, permission: 'READ' }).expect(200);
    return {
      resourceId: exp,
      call: (c) => c.delete(`${M}/experiments/permissions/delete`, { experiment_id: exp, username: grantee }),
      allowed: async (res) => {
        expectOk(res);
        expect(await grantLevels('experiment', exp, grantee)).toEqual([]);
      },
    };
  },
  'registry.audit.experiment': async () => {
    // An experiment of its own, so its trail is exactly what was done to it here.
    const id = await newExperiment();
    const newName = `mx-audited-${next()}`;
    await admin.post(`${M}/experiments/update`, { experiment_id: id, new_name: newName }).expect(200);
    return {
      resourceId: id,
      call: (c) => c.get(`${R}/audit`, { experiment_id: id }),
      allowed: (res) => expectOk(res, { events: [expect.objectContaining({ action: 'experiment_renamed', actor: 'admin', experiment_id: id })] }),
    };
  },

  'registered-models.get': onModel(
    (c) => c.get(`${M}/registered-models/get`, { name: 'mx' }),
    (res, { level }) => {
      expectOk(res, { registered_model: expect.objectContaining({ name: 'mx' }) });
      expect(stagesOf(res.body.registered_model.latest_versions)).toEqual(mxVersionsSeenAt(level));
    },
  ),
  'registered-models.get-latest-versions': onModel(
    (c) => c.post(`${M}/registered-models/get-latest-versions`, { name: 'mx' }),
    (res, { level }) => {
      expectOk(res, { model_versions: expect.any(Array) });
      expect(stagesOf(res.body.model_versions)).toEqual(mxVersionsSeenAt(level));
    },
  ),
  'registered-models.get-latest-versions.get': onModel(
    (c) => c.get(`${M}/registered-models/get-latest-versions`, { name: 'mx' }),
    (res, { level }) => {
      expectOk(res, { model_versions: expect.any(Array) });
      expect(stagesOf(res.body.model_versions)).toEqual(mxVersionsSeenAt(level));
    },
  ),
  'registered-models.delete-tag': async () => {
    const key = `k${next()}`;
    await admin.post(`${M}/registered-models/set-tag`, { name: 'mx', key, value: 'v' }).expect(200);
    return {
      resourceId: mx,
      call: (c) => c.delete(`${M}/registered-models/delete-tag`, { name: 'mx', key }),
      allowed: async (res) => {
        expectOk(res);
        expect(keysOf((await admin.get(`${M}/registered-models/get`, { name: 'mx' }).expect(200)).body.registered_model.tags)).not.toContain(key);
      },
    };
  },
  'registered-models.alias.delete': async () => {
    // An ordinary alias on v1 of mx, as in alias.set.
    const alias = `a${next()}`;
    await admin.post(`${M}/registered-models/alias`, { name: 'mx', alias, version: '1' }).expect(200);
    return {
      resourceId: mx,
      call: (c) => c.delete(`${M}/registered-models/alias`, { name: 'mx', alias }),
      allowed: async (res) => {
        expectOk(res);
        expect((await admin.get(`${M}/registered-models/alias`, { name: 'mx', alias }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      },
    };
  },
  'registered-models.alias.get': onModel(
    (c) => c.get(`${M}/registered-models/alias`, { name: 'mx', alias: 'current' }),
    (res) => expectOk(res, { model_version: expect.objectContaining({ name: 'mx', version: '2', current_stage: 'Production', aliases: ['current'] }) }),
  ),
  'model-versions.set-tag': async () => {
    const tag = { key: `k${next()}`, value: `v${next()}` };
    return {
      resourceId: mx,
      call: (c) => c.post(`${M}/model-versions/set-tag`, { name: 'mx', version: '1', ...tag }),
      allowed: async (res) => {
        expectOk(res);
        expect((await admin.get(`${M}/model-versions/get`, { name: 'mx', version: '1' }).expect(200)).body.model_version.tags).toContainEqual(tag);
      },
    };
  },
  'model-versions.delete-tag': async () => {
    const key = `k${next()}`;
    await admin.post(`${M}/model-versions/set-tag`, { name: 'mx', version: '1', key, value: 'v' }).expect(200);
    return {
      resourceId: mx,
      call: (c) => c.delete(`${M}/model-versions/delete-tag`, { name: 'mx', version: '1', key }),
      allowed: async (res) => {
        expectOk(res);
        expect(keysOf((await admin.get(`${M}/model-versions/get`, { name: 'mx', version: '1' }).expect(200)).body.model_version.tags)).not.toContain(key);
      },
    };
  },
  'registered-models.update': async () => {
    const description = `d${next()}`;
    return {
      resourceId: mx,
      call: (c) => c.patch(`${M}/registered-models/update`, { name: 'mx', description }),
      allowed: async (res) => {
        expectOk(res, { registered_model: expect.objectContaining({ name: 'mx', description }) });
        expect((await admin.get(`${M}/registered-models/get`, { name: 'mx' }).expect(200)).body.registered_model.description).toBe(description);
      },
    };
  },
  'registered-models.set-tag': async () => {
    const tag = { key: `k${next()}`, value: `v${next()}` };
    return {
      resourceId: mx,
      call: (c) => c.post(`${M}/registered-models/set-tag`, { name: 'mx', ...tag }),
      allowed: async (res) => {
        expectOk(res);
        expect((await admin.get(`${M}/registered-models/get`, { name: 'mx' }).expect(200)).body.registered_model.tags).toContainEqual(tag);
      },
    };
  },
  'registered-models.alias.set': async () => {
    // An ordinary alias on v1 of mx: not protected, so what a USE caller sees of mx is unchanged.
    const alias = `a${next()}`;
    return {
      resourceId: mx,
      call: (c) => c.post(`${M}/registered-models/alias`, { name: 'mx', alias, version: '1' }),
      allowed: async (res) => {
        expectOk(res);
        const got = await admin.get(`${M}/registered-models/alias`, { name: 'mx', alias }).expect(200);
        expect(got.body.model_version).toMatchObject({ name: 'mx', version: '1' });
      },
    };
  },
  'registered-models.alias.set.protected': async () => {
    // A model of its own: a protected alias widens what USE callers see.
    const m = await newModel('None');
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/registered-models/alias`, { name: m.name, alias: 'champion', version: '1' }),
      allowed: async (res) => {
        expectOk(res);
        const got = await admin.get(`${M}/registered-models/alias`, { name: m.name, alias: 'champion' }).expect(200);
        expect(got.body.model_version).toMatchObject({ name: m.name, version: '1', aliases: ['champion'] });
      },
    };
  },
  'registered-models.rename': async () => {
    const m = await newModel();
    const newName = `${m.name}-renamed`;
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/registered-models/rename`, { name: m.name, new_name: newName }),
      allowed: async (res) => {
        expectOk(res, { registered_model: expect.objectContaining({ name: newName }) });
        await admin.get(`${M}/registered-models/get`, { name: newName }).expect(200);
        await admin.get(`${M}/registered-models/get`, { name: m.name }).expect(404);
      },
    };
  },
  'registered-models.delete': async () => {
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => c.delete(`${M}/registered-models/delete`, { name: m.name }),
      allowed: async (res) => {
        expectOk(res);
        expect((await admin.get(`${M}/registered-models/get`, { name: m.name }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      },
    };
  },
  'model-versions.create': async () => {
    const m = await newModel();
    const source = `s3://b/${m.name}/new`;
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/model-versions/create`, { name: m.name, source }),
      allowed: async (res, { user }) => {
        expectOk(res, { model_version: expect.objectContaining({ name: m.name, version: '1', current_stage: 'None', source, user_id: user }) });
        expect(await versionStatus(m.name, '1')).toBe(200);
      },
    };
  },
  'model-versions.get': onModel(
    (c) => c.get(`${M}/model-versions/get`, { name: 'mx', version: '2' }),
    (res) => expectOk(res, { model_version: expect.objectContaining({ name: 'mx', version: '2', current_stage: 'Production' }) }),
  ),
  'model-versions.get.none': onModel(
    (c) => c.get(`${M}/model-versions/get`, { name: 'mx', version: '1' }),
    (res) => expectOk(res, { model_version: expect.objectContaining({ name: 'mx', version: '1', current_stage: 'None' }) }),
  ),
  'model-versions.get-download-uri': onModel(
    (c) => c.get(`${M}/model-versions/get-download-uri`, { name: 'mx', version: '2' }),
    (res) => expectOk(res, { artifact_uri: `${runArtifactUri}/model` }),
  ),
  'model-versions.update': async () => {
    const description = `d${next()}`;
    return {
      resourceId: mx,
      call: (c) => c.patch(`${M}/model-versions/update`, { name: 'mx', version: '1', description }),
      allowed: async (res) => {
        expectOk(res, { model_version: expect.objectContaining({ name: 'mx', version: '1', description }) });
        expect((await admin.get(`${M}/model-versions/get`, { name: 'mx', version: '1' }).expect(200)).body.model_version.description).toBe(description);
      },
    };
  },
  'model-versions.transition-stage': async () => {
    const m = await newModel('None');
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/model-versions/transition-stage`, { name: m.name, version: '1', stage: 'Staging' }),
      allowed: async (res) => {
        expectOk(res, { model_version: expect.objectContaining({ name: m.name, version: '1', current_stage: 'Staging' }) });
        expect((await admin.get(`${M}/model-versions/get`, { name: m.name, version: '1' }).expect(200)).body.model_version.current_stage).toBe('Staging');
      },
    };
  },
  'model-versions.transition-stage.production': async () => {
    const m = await newModel('Staging');
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/model-versions/transition-stage`, { name: m.name, version: '1', stage: 'Production' }),
      allowed: async (res) => {
        expectOk(res, { model_version: expect.objectContaining({ name: m.name, version: '1', current_stage: 'Production' }) });
        expect((await admin.get(`${M}/model-versions/get`, { name: m.name, version: '1' }).expect(200)).body.model_version.current_stage).toBe('Production');
      },
    };
  },
  'model-versions.delete': async () => {
    const m = await newModel('None');
    return {
      resourceId: m.id,
      call: (c) => c.delete(`${M}/model-versions/delete`, { name: m.name, version: '1' }),
      allowed: async (res) => {
        expectOk(res);
        expect(await versionStatus(m.name, '1')).toBe(404);
      },
    };
  },
  'registered-models.permissions.list': async () => {
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => c.get(`${M}/registered-models/permissions/list`, { name: m.name }),
      allowed: (res, { user, level }) => {
        expectOk(res, { permissions: expect.arrayContaining([{ user_id: 'admin', permission: 'MANAGE' }, { user_id: user, permission: level }]) });
        expect(res.body.permissions).toHaveLength(2);
      },
    };
  },
  'registry.files': onModel(
    (c) => c.get(`${R}/models/mx/Production/files/MLmodel`).buffer(true).parse(binary),
    (res) => {
      expect({ status: res.status, version: res.headers['x-registry-model-version'], body: (res.body as Buffer).toString('utf8') }).toEqual({
        status: 200,
        version: '2',
        body: 'flavors: {}\n',
      });
    },
  ),
  'registry.versions.upload': async () => {
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => form(c, `${R}/models/${m.name}/versions`).attach('file', Buffer.from('flavors: {}\n'), 'MLmodel'),
      allowed: async (res, { user }) => {
        expectOk(res, {
          model_version: expect.objectContaining({ name: m.name, version: '1', current_stage: 'None', user_id: user }),
          files: [{ path: 'MLmodel', file_size: 12 }],
        });
        const root = String(res.body.model_version.source).replace(/^mlflow-artifacts:\//, '');
        expect(await textOf(await t.container.artifactStore.get(`${root}/MLmodel`))).toBe('flavors: {}\n');
      },
    };
  },
  'registered-models.permissions.create': async () => {
    const grantee = `someone-${next()}`;
    return {
      resourceId: mx,
      call: (c) => c.post(`${M}/registered-models/permissions/create`, { name: 'mx', username: grantee, permission: 'READ' }),
      allowed: async (res) => {
        expectOk(res, { registered_model_permission: { name: 'mx', user_id: grantee, permission: 'READ' } });
        expect(await grantLevels('registered_model', mx, grantee)).toEqual(['READ']);
      },
    };
  },
  // NO_PERMISSIONS: anyone may read their own grant, whatever its level.
  'registered-models.permissions.get': onModel(
    (c, { user }) => c.get(`${M}/registered-models/permissions/get`, { name: 'mx', username: user }),
    (res, { user, level }) => expectOk(res, { registered_model_permission: { name: 'mx', user_id: user, permission: level } }),
  ),
  'registered-models.permissions.get.other': onModel(
    (c) => c.get(`${M}/registered-models/permissions/get`, { name: 'mx', username: 'admin' }),
    (res) => expectOk(res, { registered_model_permission: { name: 'mx', user_id: 'admin', permission: 'MANAGE' } }),
  ),
  'registered-models.permissions.update': async () => {
    const grantee = `someone-${next()}`;
    await admin.post(`${M}/registered-models/permissions/create`, { name: 'mx', username: grantee, permission: 'READ' }).expect(200);
    return {
      resourceId: mx,
      call: (c) => c.patch(`${M}/registered-models/permissions/update`, { name: 'mx', username: grantee, permission: 'MANAGE_STAGING' }),
      allowed: async (res) => {
        expectOk(res);
        expect(await grantLevels('registered_model', mx, grantee)).toEqual(['MANAGE_STAGING']);
      },
    };
  },
  'registered-models.permissions.delete': async () => {
    const grantee = `someone-${next()}`;
    await admin.post(`${M}/registered-models/permissions/create`, { name: 'mx', username: grantee, permission: 'READ' }).expect(200);
    return {
      resourceId: mx,
      call: (c) => c.delete(`${M}/registered-models/permissions/delete`, { name: 'mx', username: grantee }),
      allowed: async (res) => {
        expectOk(res);
        expect(await grantLevels('registered_model', mx, grantee)).toEqual([]);
      },
    };
  },
  'registry.audit.model': async () => {
    // A model of its own, so its trail is exactly its creation.
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => c.get(`${R}/audit`, { name: m.name }),
      allowed: (res) => expectOk(res, { events: [expect.objectContaining({ action: 'create_registered_model', actor: 'admin', name: m.name })] }),
    };
  },
  'registry.archive': onModel(
    (c) => c.get(`${R}/models/mx/Production/archive`).buffer(true).parse(binary),
    (res) => {
      expect({ status: res.status, type: res.headers['content-type'], version: res.headers['x-registry-model-version'] }).toEqual({
        status: 200,
        type: 'application/gzip',
        version: '2',
      });
      const tarball = gunzipSync(res.body as Buffer);
      expect(tarball.subarray(0, 8).toString('latin1')).toBe('MLmodel\0'); // the first entry's name
      expect(tarball.toString('latin1')).toContain('flavors: {}\n');
    },
  ),
};

beforeAll(async () => {
  // The shared S3 test server cannot abort a multipart upload nor list one in progress
  // (test/helpers/s3-multipart-test-server.ts): the mpu rows need a server that can.
  s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-s3-matrix-'));
  const started = await startS3MultipartTestServer(s3Dir);
  s3 = started.s3;
  t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS', S3_ENDPOINT: `http://127.0.0.1:${started.port}` });
  admin = t.as();
  exp = (await admin.post(`${M}/experiments/create`, { name: 'mx-main' }).expect(200)).body.experiment_id;
  const created = (await admin.post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info;
  run = created.run_id;
  runArtifactUri = created.artifact_uri;
  await admin.post(`${M}/runs/log-metric`, { run_id: run, key: 'm', value: 1, timestamp: 1 }).expect(200);
  await t.container.artifactStore.put(`${exp}/${run}/artifacts/f.txt`, Readable.from([Buffer.from('hello')]));
  loggedModel = (await admin.post(`${M}/logged-models`, { experiment_id: exp }).expect(200)).body.model.info.model_id;
  await t.container.artifactStore.put(`${exp}/models/${loggedModel}/artifacts/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
  await admin.post(`${M}/registered-models/create`, { name: 'mx' }).expect(200);
  mx = await modelId('mx');
  // v1 stays in None; v2 is the Production version, with files to serve
  await admin.post(`${M}/model-versions/create`, { name: 'mx', source: 's3://b/mx/1' }).expect(200);
  await t.container.artifactStore.put(`${exp}/${run}/artifacts/model/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
  const v2 = (await admin.post(`${M}/model-versions/create`, { name: 'mx', source: `runs:/${run}/model` }).expect(200)).body.model_version.version;
  await admin.post(`${M}/model-versions/transition-stage`, { name: 'mx', version: v2, stage: 'Production' }).expect(200);
  await admin.post(`${M}/registered-models/alias`, { name: 'mx', alias: 'current', version: v2 }).expect(200);
  expect(v2).toBe('2');
}, 60_000);
afterAll(async () => {
  await t?.close();
  await s3?.close();
  fs.rmSync(s3Dir, { recursive: true, force: true });
});

/**
 * Rules of the table the matrix does not call itself. A new row fails the next test until it has a
 * builder here or a line in this list.
 */
const NOT_YET_IN_MATRIX = [
  // Its cases registry.audit.experiment and registry.audit.model are the two resources it acts on.
  'registry.audit',
];

it('has a request for every rule of the route table', () => {
  expect(declaredRules().filter((r) => !BUILDERS[r.key]).map((r) => r.key)).toEqual(NOT_YET_IN_MATRIX);
});

it('lets a user without any grant create experiments and registered models', async () => {
  await t.as('nobody').post(`${M}/experiments/create`, { name: 'mx-by-nobody' }).expect(200);
  await t.as('nobody').post(`${M}/registered-models/create`, { name: 'mx-by-nobody' }).expect(200);
});

/** Artifact keys name their owner; every artifact row of the matrix acts on keys of an experiment. */
const typeOf = (rule: PermissionRule): 'experiment' | 'registered_model' => (rule.type === 'owner' ? 'experiment' : rule.type);
const rows = declaredRules().filter((r) => BUILDERS[r.key]);
const cases = rows.flatMap((row) => (typeOf(row) === 'experiment' ? EXPERIMENT_LEVELS : MODEL_LEVELS).map((level) => [row.key, level, row] as const));

it.each(cases)('%s with %s', async (key, level: Level, row) => {
  const target = await BUILDERS[key]!();
  const user = `u-${key}-${level}`;
  await t.container.prisma.permissionGrant.create({
    data: { resourceType: typeOf(row), resourceId: target.resourceId, principalType: 'user', principal: user, level, createdAt: 0n },
  });
  const res = await target.call(t.as(user, {}), { user, level });
  if (atLeast(level, row.level)) {
    await target.allowed(res, { user, level });
  } else {
    expect({ status: res.status, error_code: res.body?.error_code }).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
  }
});
