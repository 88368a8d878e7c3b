import { Readable } from 'node:stream';
import type { S3ArtifactStore } from '../../../src/storage/s3-artifact-store';
import type { ApiClient } from '../../helpers/test-app';
import { textOf } from '../artifact-streams';
import { A, type Builders, expectOk, form, fx, grantLevels, keysOf, M, MA, next, onExp, R } from './harness';

// The rows on experiments: experiments, runs, metrics, logged models, artifacts and their grants.
// They read fx.t, fx.admin, fx.exp, fx.run, fx.runArtifactUri and fx.loggedModel.

async function newExperiment(): Promise<string> {
  return (await fx.admin.post(`${M}/experiments/create`, { name: `mx-exp-${next()}` }).expect(200)).body.experiment_id;
}
async function experiment(id: string) {
  return (await fx.admin.get(`${M}/experiments/get`, { experiment_id: id }).expect(200)).body.experiment;
}
async function newRun(): Promise<string> {
  return (await fx.admin.post(`${M}/runs/create`, { experiment_id: fx.exp }).expect(200)).body.run.info.run_id;
}
async function runOf(id: string) {
  return (await fx.admin.get(`${M}/runs/get`, { run_id: id }).expect(200)).body.run;
}
const put = (c: ApiClient, path: string, body: string) => fx.t.http.put(path).set('Authorization', `Bearer ${c.token}`).set('Content-Type', 'text/plain').send(body);
async function newLoggedModel(): Promise<string> {
  return (await fx.admin.post(`${M}/logged-models`, { experiment_id: fx.exp }).expect(200)).body.model.info.model_id;
}
async function loggedModelOf(id: string) {
  return (await fx.admin.get(`${M}/logged-models/${id}`).expect(200)).body.model;
}
/** A multipart upload of `<dir>/big.bin` started by the admin, with its one part sent. */
async function startedUpload(dir: string, content: string): Promise<{ uploadId: string; etag: string }> {
  const created = await fx.admin.post(`${MA}/mpu/create/${dir}`, { path: 'big.bin', num_parts: 1 }).expect(200);
  const part = await fetch(created.body.credentials[0].url, { method: 'PUT', body: content });
  expect(part.status).toBe(200);
  return { uploadId: created.body.upload_id, etag: part.headers.get('etag') ?? '' };
}
/** The ids of the multipart uploads in progress for `key`, as the S3 server lists them. */
async function uploadsOf(key: string): Promise<string[]> {
  const store = fx.t.container.artifactStore as S3ArtifactStore;
  const ids: string[] = [];
  for await (const u of store.client.listIncompleteUploads(store.bucket, key, true)) if (u.key === key) ids.push(String(u.uploadId));
  return ids;
}

export const EXPERIMENT_BUILDERS: Builders = {
  'experiments.get': onExp(
    (c) => c.get(`${M}/experiments/get`, { experiment_id: fx.exp }),
    (res) => expectOk(res, { experiment: expect.objectContaining({ experiment_id: fx.exp, name: 'mx-main', lifecycle_stage: 'active' }) }),
  ),
  'experiments.get-by-name': onExp(
    (c) => c.get(`${M}/experiments/get-by-name`, { experiment_name: 'mx-main' }),
    (res) => expectOk(res, { experiment: expect.objectContaining({ experiment_id: fx.exp, name: 'mx-main' }) }),
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
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/experiments/set-experiment-tag`, { experiment_id: fx.exp, ...tag }),
      allowed: async (res) => {
        expectOk(res);
        expect((await experiment(fx.exp)).tags).toContainEqual(tag);
      },
    };
  },
  'experiments.delete-experiment-tag': async () => {
    const key = `t${next()}`;
    await fx.admin.post(`${M}/experiments/set-experiment-tag`, { experiment_id: fx.exp, key, value: 'v' }).expect(200);
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/experiments/delete-experiment-tag`, { experiment_id: fx.exp, key }),
      allowed: async (res) => {
        expectOk(res);
        expect(((await experiment(fx.exp)).tags ?? []).map((x: { key: string }) => x.key)).not.toContain(key);
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
    await fx.admin.post(`${M}/experiments/delete`, { experiment_id: id }).expect(200);
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
    (c) => c.post(`${M}/runs/create`, { experiment_id: fx.exp }),
    async (res, { user }) => {
      expectOk(res, { run: expect.objectContaining({ info: expect.objectContaining({ experiment_id: fx.exp, user_id: user, status: 'RUNNING', lifecycle_stage: 'active' }) }) });
      expect((await runOf(res.body.run.info.run_id)).info.experiment_id).toBe(fx.exp);
    },
  ),
  'runs.get': onExp(
    (c) => c.get(`${M}/runs/get`, { run_id: fx.run }),
    (res) => expectOk(res, { run: expect.objectContaining({ info: expect.objectContaining({ run_id: fx.run, experiment_id: fx.exp }) }) }),
  ),
  'runs.update': async () => {
    const id = await newRun();
    return {
      resourceId: fx.exp,
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
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/log-metric`, { run_id: fx.run, key, value: 7, timestamp }),
      allowed: async (res) => {
        expectOk(res);
        const history = await fx.admin.get(`${M}/metrics/get-history`, { run_id: fx.run, metric_key: key }).expect(200);
        expect(history.body.metrics).toEqual([{ key, value: 7, timestamp, step: 0 }]);
      },
    };
  },
  'runs.log-parameter': async () => {
    const param = { key: `p${next()}`, value: `v${next()}` };
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/log-parameter`, { run_id: fx.run, ...param }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(fx.run)).data.params).toContainEqual(param);
      },
    };
  },
  'runs.log-batch': async () => {
    const key = `b${next()}`;
    const timestamp = next();
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/log-batch`, { run_id: fx.run, metrics: [{ key, value: 3, timestamp }] }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(fx.run)).data.metrics).toContainEqual({ key, value: 3, timestamp, step: 0 });
      },
    };
  },
  'runs.set-tag': async () => {
    const tag = { key: `t${next()}`, value: `v${next()}` };
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/set-tag`, { run_id: fx.run, ...tag }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(fx.run)).data.tags).toContainEqual(tag);
      },
    };
  },
  'runs.log-inputs': async () => {
    const dataset = { name: `ds${next()}`, digest: `d${next()}`, source_type: 'local', source: '/data/train.csv' };
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/log-inputs`, { run_id: fx.run, datasets: [{ dataset }] }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(fx.run)).inputs.dataset_inputs.map((i: { dataset: unknown }) => i.dataset)).toContainEqual(dataset);
      },
    };
  },
  'runs.outputs': async () => {
    const step = next();
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/outputs`, { run_id: fx.run, models: [{ model_id: fx.loggedModel, step }] }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(fx.run)).outputs.model_outputs).toContainEqual({ model_id: fx.loggedModel, step });
      },
    };
  },
  'runs.delete': async () => {
    const id = await newRun();
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/delete`, { run_id: id }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(id)).info.lifecycle_stage).toBe('deleted');
      },
    };
  },
  'runs.restore': async () => {
    const id = await newRun();
    await fx.admin.post(`${M}/runs/delete`, { run_id: id }).expect(200);
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/restore`, { run_id: id }),
      allowed: async (res) => {
        expectOk(res);
        expect((await runOf(id)).info.lifecycle_stage).toBe('active');
      },
    };
  },
  'metrics.get-history': onExp(
    (c) => c.get(`${M}/metrics/get-history`, { run_id: fx.run, metric_key: 'm' }),
    (res) => expectOk(res, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] }),
  ),
  'artifacts.list': onExp(
    (c) => c.get(`${M}/artifacts/list`, { run_id: fx.run }),
    (res) => expectOk(res, { root_uri: fx.runArtifactUri, files: expect.arrayContaining([{ path: 'f.txt', is_dir: false, file_size: 5 }]) }),
  ),
  'mlflow-artifacts.get': onExp(
    (c) => c.get(`${A}/${fx.exp}/${fx.run}/artifacts/f.txt`),
    (res) => {
      expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: 'hello' });
    },
  ),
  'mlflow-artifacts.list': onExp(
    (c) => c.get(A, { path: `${fx.exp}/${fx.run}/artifacts` }),
    (res) => expectOk(res, { files: expect.arrayContaining([{ path: 'f.txt', is_dir: false, file_size: 5 }]) }),
  ),
  'mlflow-artifacts.put': async () => {
    const key = `${fx.exp}/${fx.run}/artifacts/up-${next()}.txt`;
    const content = `uploaded ${next()}`;
    return {
      resourceId: fx.exp,
      call: (c) => put(c, `${A}/${key}`, content),
      allowed: async (res) => {
        expectOk(res);
        expect(await textOf(await fx.t.container.artifactStore.get(key))).toBe(content);
      },
    };
  },
  'mlflow-artifacts.delete': async () => {
    const key = `${fx.exp}/${fx.run}/artifacts/del-${next()}.txt`;
    await fx.t.container.artifactStore.put(key, Readable.from([Buffer.from('x')]));
    return {
      resourceId: fx.exp,
      call: (c) => c.delete(`${A}/${key}`),
      allowed: async (res) => {
        expectOk(res);
        expect(await fx.t.container.artifactStore.stat(key)).toBeUndefined();
      },
    };
  },
  'logged-models.create': onExp(
    (c) => c.post(`${M}/logged-models`, { experiment_id: fx.exp }),
    async (res) => {
      expectOk(res, { model: expect.objectContaining({ info: expect.objectContaining({ experiment_id: fx.exp, model_id: expect.any(String) }) }) });
      await fx.admin.get(`${M}/logged-models/${res.body.model.info.model_id}`).expect(200);
    },
  ),
  'logged-models.get': onExp(
    (c) => c.get(`${M}/logged-models/${fx.loggedModel}`),
    (res) => expectOk(res, { model: expect.objectContaining({ info: expect.objectContaining({ model_id: fx.loggedModel, experiment_id: fx.exp }) }) }),
  ),
  'experiments.permissions.list': async () => {
    const id = await newExperiment();
    return {
      resourceId: id,
      call: (c) => c.get(`${M}/experiments/permissions/list`, { experiment_id: id }),
      allowed: (res, { user, level }) => {
        expectOk(res, {
          permissions: expect.arrayContaining([
            { user_id: 'admin', permission: 'MANAGE' },
            { user_id: user, permission: level },
          ]),
        });
        expect(res.body.permissions).toHaveLength(2);
      },
    };
  },
  'experiments.permissions.create': async () => {
    const grantee = `someone-${next()}`;
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/experiments/permissions/create`, { experiment_id: fx.exp, username: grantee, permission: 'READ' }),
      allowed: async (res) => {
        expectOk(res, { experiment_permission: { experiment_id: fx.exp, user_id: grantee, permission: 'READ' } });
        expect(await grantLevels('experiment', fx.exp, grantee)).toEqual(['READ']);
      },
    };
  },
  'runs.delete-tag': async () => {
    const key = `t${next()}`;
    await fx.admin.post(`${M}/runs/set-tag`, { run_id: fx.run, key, value: 'v' }).expect(200);
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/delete-tag`, { run_id: fx.run, key }),
      allowed: async (res) => {
        expectOk(res);
        expect(keysOf((await runOf(fx.run)).data.tags)).not.toContain(key);
      },
    };
  },
  'runs.log-model': async () => {
    const model = { artifact_path: `model-${next()}`, flavors: {}, utc_time_created: '2025-01-01 00:00:00.000000', run_id: fx.run };
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/runs/log-model`, { run_id: fx.run, model_json: JSON.stringify(model) }),
      allowed: async (res) => {
        expectOk(res);
        const history = ((await runOf(fx.run)).data.tags as Array<{ key: string; value: string }>).find((x) => x.key === 'mlflow.log-model.history');
        expect(JSON.parse(history?.value ?? '[]')).toContainEqual(model);
      },
    };
  },
  'metrics.get-history-bulk-interval': onExp(
    (c) => c.get(`${M}/metrics/get-history-bulk-interval`, { run_ids: [fx.run], metric_key: 'm' }),
    (res) => expectOk(res, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0, run_id: fx.run }] }),
  ),
  'mlflow-artifacts.mpu.create': async () => {
    const dir = `${fx.exp}/${fx.run}/artifacts/mpu-${next()}`;
    return {
      resourceId: fx.exp,
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
    const dir = `${fx.exp}/${fx.run}/artifacts/mpu-${next()}`;
    const content = `parts ${next()}`;
    const { uploadId, etag } = await startedUpload(dir, content);
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${MA}/mpu/complete/${dir}`, { path: 'big.bin', upload_id: uploadId, parts: [{ part_number: 1, etag }] }),
      allowed: async (res) => {
        expectOk(res);
        expect(await textOf(await fx.t.container.artifactStore.get(`${dir}/big.bin`))).toBe(content);
      },
    };
  },
  'mlflow-artifacts.mpu.abort': async () => {
    const dir = `${fx.exp}/${fx.run}/artifacts/mpu-${next()}`;
    const { uploadId } = await startedUpload(dir, 'partial');
    return {
      resourceId: fx.exp,
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
      resourceId: fx.exp,
      call: (c) => form(c, `${MA}/upload`).query({ run_id: fx.run, path: dir }).attach('file', Buffer.from(content), 'f.bin'),
      allowed: async (res) => {
        expectOk(res, { files: [{ path: `${dir}/f.bin`, is_dir: false, file_size: content.length }] });
        expect(await textOf(await fx.t.container.artifactStore.get(`${fx.exp}/${fx.run}/artifacts/${dir}/f.bin`))).toBe(content);
      },
    };
  },
  'logged-models.finalize': async () => {
    const id = await newLoggedModel();
    return {
      resourceId: fx.exp,
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
      resourceId: fx.exp,
      call: (c) => c.delete(`${M}/logged-models/${id}`),
      allowed: async (res) => {
        expectOk(res);
        expect((await fx.admin.get(`${M}/logged-models/${id}`).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      },
    };
  },
  'logged-models.set-tags': async () => {
    const tag = { key: `t${next()}`, value: `v${next()}` };
    return {
      resourceId: fx.exp,
      call: (c) => c.patch(`${M}/logged-models/${fx.loggedModel}/tags`, { tags: [tag] }),
      allowed: async (res) => {
        expectOk(res, { model: expect.objectContaining({ info: expect.objectContaining({ model_id: fx.loggedModel, tags: expect.arrayContaining([tag]) }) }) });
        expect((await loggedModelOf(fx.loggedModel)).info.tags).toContainEqual(tag);
      },
    };
  },
  'logged-models.delete-tag': async () => {
    const key = `t${next()}`;
    await fx.admin.patch(`${M}/logged-models/${fx.loggedModel}/tags`, { tags: [{ key, value: 'v' }] }).expect(200);
    return {
      resourceId: fx.exp,
      call: (c) => c.delete(`${M}/logged-models/${fx.loggedModel}/tags/${key}`),
      allowed: async (res) => {
        expectOk(res);
        expect(keysOf((await loggedModelOf(fx.loggedModel)).info.tags)).not.toContain(key);
      },
    };
  },
  'logged-models.log-params': async () => {
    const param = { key: `p${next()}`, value: `v${next()}` };
    return {
      resourceId: fx.exp,
      call: (c) => c.post(`${M}/logged-models/${fx.loggedModel}/params`, { params: [param] }),
      allowed: async (res) => {
        expectOk(res);
        expect((await loggedModelOf(fx.loggedModel)).data.params).toContainEqual(param);
      },
    };
  },
  'logged-models.list-artifacts': onExp(
    (c) => c.get(`${M}/logged-models/${fx.loggedModel}/artifacts/directories`),
    (res) => expectOk(res, { root_uri: `mlflow-artifacts:/${fx.exp}/models/${fx.loggedModel}/artifacts`, files: [{ path: 'MLmodel', is_dir: false, file_size: 12 }] }),
  ),
  // NO_PERMISSIONS: anyone may read their own grant, whatever its level.
  'experiments.permissions.get': onExp(
    (c, { user }) => c.get(`${M}/experiments/permissions/get`, { experiment_id: fx.exp, username: user }),
    (res, { user, level }) => expectOk(res, { experiment_permission: { experiment_id: fx.exp, user_id: user, permission: level } }),
  ),
  'experiments.permissions.get.other': onExp(
    (c) => c.get(`${M}/experiments/permissions/get`, { experiment_id: fx.exp, username: 'admin' }),
    (res) => expectOk(res, { experiment_permission: { experiment_id: fx.exp, user_id: 'admin', permission: 'MANAGE' } }),
  ),
  // NO_PERMISSIONS: anyone may ask for their own level; the operations follow it.
  'permissions.effective': onExp(
    (c) => c.get(`${R}/permissions/effective`, { experiment_id: fx.exp }),
    (res, { user, level }) => {
      expectOk(res, { effective_permission: expect.objectContaining({ resource_type: 'experiment', experiment_id: fx.exp, user_id: user, is_admin: false, permission_level: level }) });
      const allowed = (key: string) => (res.body.effective_permission.operations as Array<{ key: string; allowed: boolean }>).find((o) => o.key === key)?.allowed;
      expect({ read: allowed('experiments.get'), edit: allowed('runs.log-batch'), manage: allowed('experiments.delete') }).toEqual({
        read: level !== 'NO_PERMISSIONS',
        edit: level === 'EDIT' || level === 'MANAGE',
        manage: level === 'MANAGE',
      });
    },
  ),
  'experiments.permissions.update': async () => {
    const grantee = `someone-${next()}`;
    await fx.admin.post(`${M}/experiments/permissions/create`, { experiment_id: fx.exp, username: grantee, permission: 'READ' }).expect(200);
    return {
      resourceId: fx.exp,
      call: (c) => c.patch(`${M}/experiments/permissions/update`, { experiment_id: fx.exp, username: grantee, permission: 'EDIT' }),
      allowed: async (res) => {
        expectOk(res);
        expect(await grantLevels('experiment', fx.exp, grantee)).toEqual(['EDIT']);
      },
    };
  },
  'experiments.permissions.delete': async () => {
    const grantee = `someone-${next()}`;
    await fx.admin.post(`${M}/experiments/permissions/create`, { experiment_id: fx.exp, username: grantee, permission: 'READ' }).expect(200);
    return {
      resourceId: fx.exp,
      call: (c) => c.delete(`${M}/experiments/permissions/delete`, { experiment_id: fx.exp, username: grantee }),
      allowed: async (res) => {
        expectOk(res);
        expect(await grantLevels('experiment', fx.exp, grantee)).toEqual([]);
      },
    };
  },
  'registry.audit.experiment': async () => {
    // An experiment of its own, so its trail is exactly what was done to it here.
    const id = await newExperiment();
    const newName = `mx-audited-${next()}`;
    await fx.admin.post(`${M}/experiments/update`, { experiment_id: id, new_name: newName }).expect(200);
    return {
      resourceId: id,
      call: (c) => c.get(`${R}/audit`, { experiment_id: id }),
      allowed: (res) => expectOk(res, { events: [expect.objectContaining({ action: 'experiment_renamed', actor: 'admin', experiment_id: id })] }),
    };
  },
};
