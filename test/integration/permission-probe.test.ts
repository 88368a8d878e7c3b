import fs from 'node:fs/promises';
import path from 'node:path';
import type request from 'supertest';
import { MIGRATIONS_DIR } from '../../src/db/migrate';
import { declaredRules } from '../helpers/routes';
import { startTestApp, type ApiClient, type TestApp } from '../helpers/test-app';
import { bearer, tokenFor } from '../helpers/tokens';
import { API, createModel, transition, uniqueName } from './registry-fixtures';

/**
 * A hostile user with a valid token probes everything of someone else's: every endpoint of the
 * permission table, with the ids spelled every way a parser might accept, and model versions whose
 * source points elsewhere. Nothing may answer 2xx.
 */

const A = '/api/2.0/mlflow-artifacts/artifacts';
const R = '/api/2.0/registry';
const MPU = '/api/2.0/mlflow-artifacts/mpu';

interface Victim {
  experimentId: string;
  runId: string;
  loggedModelId: string;
  model: string;
  version: string;
}

/** Spellings of a decimal id that some parser (Number, parseInt, BigInt, Python's int) reads as the same id. */
function idVariants(id: string): string[] {
  const arabicIndic = [...id].map((d) => String.fromCharCode(0x0660 + Number(d))).join('');
  const fullWidth = [...id].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
  return [`0${id}`, `00${id}`, ` ${id}`, `${id} `, `+${id}`, `${id}.0`, `${id}e0`, `0x${Number(id).toString(16)}`, arabicIndic, fullWidth];
}

const runIdVariants = (id: string) => [id.toUpperCase(), ` ${id}`, `${id} `, `${id.slice(0, 8)}-${id.slice(8)}`];
const nameVariants = (name: string) => [name.toUpperCase(), ` ${name}`, `${name} `, `${name}\t`];
const versionVariants = ['01', '1.0', '+1', ' 1', '1e0'];

type Probe = (api: ApiClient, http: TestApp['http'], token: string, v: Victim) => request.Test;

const put = (http: TestApp['http'], token: string, path: string) => http.put(path).set(bearer(token)).set('Content-Type', 'application/octet-stream').send(Buffer.from('pwned'));

/** A comment of alice's on the victim's version (none for a respelled one), then `act` on its id. */
function onAlicesComment(http: TestApp['http'], v: Victim, act: (id: string) => request.Test): request.Test {
  return (async () => {
    const created = await http
      .post(`${API}/comments/create`)
      .set(bearer(tokenFor('alice')))
      .send({ name: v.model, version: v.version, comment: 'mine' });
    return act(created.status === 200 ? (created.body.comment.id as string) : '999999');
  })() as unknown as request.Test;
}

/** A webhook of alice's on the victim's model (none for a respelled name), then `act` on its id. */
function onAlicesWebhook(http: TestApp['http'], v: Victim, act: (id: string) => request.Test): request.Test {
  return (async () => {
    const created = await http
      .post(`${API}/webhooks`)
      .set(bearer(tokenFor('alice')))
      .send({ name: 'alices-hook', url: 'https://hooks.invalid/x', model_name: v.model, events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
    return act(created.status === 200 ? (created.body.webhook.webhook_id as string) : '00000000-0000-0000-0000-000000000000');
  })() as unknown as request.Test;
}

/** One request per row of the permission table, aimed at the victim's resource. */
const PROBES: Record<string, Probe> = {
  'experiments.get': (api, _h, _t, v) => api.get(`${API}/experiments/get`, { experiment_id: v.experimentId }),
  'experiments.get-by-name': (api) => api.get(`${API}/experiments/get-by-name`, { experiment_name: 'victim-experiment' }),
  'experiments.update': (api, _h, _t, v) => api.post(`${API}/experiments/update`, { experiment_id: v.experimentId, new_name: uniqueName('stolen') }),
  'experiments.set-experiment-tag': (api, _h, _t, v) => api.post(`${API}/experiments/set-experiment-tag`, { experiment_id: v.experimentId, key: 'k', value: 'x' }),
  'experiments.delete-experiment-tag': (api, _h, _t, v) => api.post(`${API}/experiments/delete-experiment-tag`, { experiment_id: v.experimentId, key: 'owner' }),
  'experiments.delete': (api, _h, _t, v) => api.post(`${API}/experiments/delete`, { experiment_id: v.experimentId }),
  'experiments.restore': (api, _h, _t, v) => api.post(`${API}/experiments/restore`, { experiment_id: v.experimentId }),
  'runs.create': (api, _h, _t, v) => api.post(`${API}/runs/create`, { experiment_id: v.experimentId }),
  'runs.get': (api, _h, _t, v) => api.get(`${API}/runs/get`, { run_id: v.runId }),
  'runs.update': (api, _h, _t, v) => api.post(`${API}/runs/update`, { run_id: v.runId, status: 'FAILED' }),
  'runs.log-metric': (api, _h, _t, v) => api.post(`${API}/runs/log-metric`, { run_id: v.runId, key: 'm', value: 1, timestamp: 1, step: 0 }),
  'runs.log-parameter': (api, _h, _t, v) => api.post(`${API}/runs/log-parameter`, { run_id: v.runId, key: 'p', value: 'x' }),
  'runs.log-batch': (api, _h, _t, v) => api.post(`${API}/runs/log-batch`, { run_id: v.runId, tags: [{ key: 't', value: 'x' }] }),
  'runs.set-tag': (api, _h, _t, v) => api.post(`${API}/runs/set-tag`, { run_id: v.runId, key: 't', value: 'x' }),
  'runs.log-inputs': (api, _h, _t, v) => api.post(`${API}/runs/log-inputs`, { run_id: v.runId, datasets: [] }),
  'runs.outputs': (api, _h, _t, v) => api.post(`${API}/runs/outputs`, { run_id: v.runId, models: [] }),
  'runs.delete': (api, _h, _t, v) => api.post(`${API}/runs/delete`, { run_id: v.runId }),
  'runs.restore': (api, _h, _t, v) => api.post(`${API}/runs/restore`, { run_id: v.runId }),
  'metrics.get-history': (api, _h, _t, v) => api.get(`${API}/metrics/get-history`, { run_id: v.runId, metric_key: 'loss' }),
  'artifacts.list': (api, _h, _t, v) => api.get(`${API}/artifacts/list`, { run_id: v.runId }),
  'mlflow-artifacts.get': (_a, http, token, v) => http.get(`${A}/${v.experimentId}/${v.runId}/artifacts/secret.txt`).set(bearer(token)),
  'mlflow-artifacts.list': (_a, http, token, v) =>
    http
      .get(A)
      .query({ path: `${v.experimentId}/${v.runId}/artifacts` })
      .set(bearer(token)),
  'mlflow-artifacts.put': (_a, http, token, v) => put(http, token, `${A}/${v.experimentId}/${v.runId}/artifacts/planted.txt`),
  'mlflow-artifacts.delete': (_a, http, token, v) => http.delete(`${A}/${v.experimentId}/${v.runId}/artifacts/secret.txt`).set(bearer(token)),
  'logged-models.create': (api, _h, _t, v) => api.post(`${API}/logged-models`, { experiment_id: v.experimentId }),
  'logged-models.get': (api, _h, _t, v) => api.get(`${API}/logged-models/${v.loggedModelId}`),
  'experiments.permissions.list': (api, _h, _t, v) => api.get(`${API}/experiments/permissions/list`, { experiment_id: v.experimentId }),
  'experiments.permissions.create': (api, _h, _t, v) => api.post(`${API}/experiments/permissions/create`, { experiment_id: v.experimentId, username: 'mallory', permission: 'MANAGE' }),
  'registry.audit.experiment': (api, _h, _t, v) => api.get(`${R}/audit`, { experiment_id: v.experimentId }),

  'registered-models.get': (api, _h, _t, v) => api.get(`${API}/registered-models/get`, { name: v.model }),
  'registered-models.get-latest-versions': (api, _h, _t, v) => api.post(`${API}/registered-models/get-latest-versions`, { name: v.model }),
  'registered-models.update': (api, _h, _t, v) => api.patch(`${API}/registered-models/update`, { name: v.model, description: 'pwned' }),
  'registered-models.set-tag': (api, _h, _t, v) => api.post(`${API}/registered-models/set-tag`, { name: v.model, key: 'k', value: 'x' }),
  'registered-models.alias.set': (api, _h, _t, v) => api.post(`${API}/registered-models/alias`, { name: v.model, alias: 'mine', version: v.version }),
  'registered-models.alias.set.protected': (api, _h, _t, v) => api.post(`${API}/registered-models/alias`, { name: v.model, alias: 'production', version: v.version }),
  'registered-models.rename': (api, _h, _t, v) => api.post(`${API}/registered-models/rename`, { name: v.model, new_name: uniqueName('stolen') }),
  'registered-models.delete': (api, _h, _t, v) => api.delete(`${API}/registered-models/delete`, { name: v.model }),
  'model-versions.create': (api, _h, _t, v) => api.post(`${API}/model-versions/create`, { name: v.model, source: 's3://b/m' }),
  'model-versions.get': (api, _h, _t, v) => api.get(`${API}/model-versions/get`, { name: v.model, version: v.version }),
  'model-versions.get.none': (api, _h, _t, v) => api.get(`${API}/model-versions/get`, { name: v.model, version: v.version }),
  'model-versions.get-download-uri': (api, _h, _t, v) => api.get(`${API}/model-versions/get-download-uri`, { name: v.model, version: v.version }),
  'model-versions.update': (api, _h, _t, v) => api.patch(`${API}/model-versions/update`, { name: v.model, version: v.version, description: 'x' }),
  'model-versions.transition-stage': (api, _h, _t, v) => api.post(`${API}/model-versions/transition-stage`, { name: v.model, version: v.version, stage: 'Staging' }),
  'model-versions.transition-stage.production': (api, _h, _t, v) => api.post(`${API}/model-versions/transition-stage`, { name: v.model, version: v.version, stage: 'Production' }),
  'model-versions.delete': (api, _h, _t, v) => api.delete(`${API}/model-versions/delete`, { name: v.model, version: v.version }),
  'registered-models.permissions.list': (api, _h, _t, v) => api.get(`${API}/registered-models/permissions/list`, { name: v.model }),
  'registry.audit.model': (api, _h, _t, v) => api.get(`${R}/audit`, { name: v.model }),
  'registry.archive': (_a, http, token, v) => http.get(`${R}/models/${encodeURIComponent(v.model)}/Production/archive`).set(bearer(token)),
  'registry.files': (_a, http, token, v) => http.get(`${R}/models/${encodeURIComponent(v.model)}/Production/files/MLmodel`).set(bearer(token)),
  'registry.archive.zip': (_a, http, token, v) => http.get(`${R}/models/${encodeURIComponent(v.model)}/Production/archive.zip`).set(bearer(token)),
  'serving.invocations': (_a, http, token, v) =>
    http
      .post(`/api/2.0/serving/models/${encodeURIComponent(v.model)}/Production/invocations`)
      .set(bearer(token))
      .send({ inputs: [[1]] }),
  'model-versions.get-artifact': (api, _h, _t, v) => api.get(`${API}/model-versions/get-artifact`, { name: v.model, version: v.version, path: 'MLmodel' }),
  'registry.versions.upload': (_a, http, token, v) =>
    http
      .post(`${R}/models/${encodeURIComponent(v.model)}/versions`)
      .set(bearer(token))
      .attach('file', Buffer.from('pwned'), 'MLmodel'),

  'runs.delete-tag': (api, _h, _t, v) => api.post(`${API}/runs/delete-tag`, { run_id: v.runId, key: 'mlflow.runName' }),
  'runs.log-model': (api, _h, _t, v) =>
    api.post(`${API}/runs/log-model`, { run_id: v.runId, model_json: JSON.stringify({ artifact_path: 'm', flavors: {}, utc_time_created: 'now', run_id: v.runId }) }),
  'metrics.get-history-bulk-interval': (api, _h, _t, v) => api.get(`${API}/metrics/get-history-bulk-interval`, { run_ids: v.runId, metric_key: 'loss' }),
  'mlflow-artifacts.mpu.create': (api, _h, _t, v) => api.post(`${MPU}/create/${v.experimentId}/${v.runId}/artifacts`, { path: 'big.bin', num_parts: 1 }),
  'mlflow-artifacts.mpu.complete': (api, _h, _t, v) =>
    api.post(`${MPU}/complete/${v.experimentId}/${v.runId}/artifacts`, { path: 'big.bin', upload_id: 'u', parts: [{ part_number: 1, etag: 'e' }] }),
  'mlflow-artifacts.mpu.abort': (api, _h, _t, v) => api.post(`${MPU}/abort/${v.experimentId}/${v.runId}/artifacts`, { path: 'big.bin', upload_id: 'u' }),
  'mlflow-artifacts.upload': (_a, http, token, v) =>
    http.post('/api/2.0/mlflow-artifacts/upload').query({ run_id: v.runId }).set(bearer(token)).attach('file', Buffer.from('pwned'), 'planted.txt'),
  'registered-models.get-latest-versions.get': (api, _h, _t, v) => api.get(`${API}/registered-models/get-latest-versions`, { name: v.model }),
  'registered-models.delete-tag': (api, _h, _t, v) => api.delete(`${API}/registered-models/delete-tag`, { name: v.model, key: 'k' }),
  'registered-models.alias.delete': (api, _h, _t, v) => api.delete(`${API}/registered-models/alias`, { name: v.model, alias: 'mine' }),
  'registered-models.alias.get': (api, _h, _t, v) => api.get(`${API}/registered-models/alias`, { name: v.model, alias: 'production' }),
  'model-versions.set-tag': (api, _h, _t, v) => api.post(`${API}/model-versions/set-tag`, { name: v.model, version: v.version, key: 'k', value: 'x' }),
  'model-versions.delete-tag': (api, _h, _t, v) => api.delete(`${API}/model-versions/delete-tag`, { name: v.model, version: v.version, key: 'k' }),
  'logged-models.finalize': (api, _h, _t, v) => api.patch(`${API}/logged-models/${v.loggedModelId}`, { status: 'LOGGED_MODEL_READY' }),
  'logged-models.delete': (api, _h, _t, v) => api.delete(`${API}/logged-models/${v.loggedModelId}`),
  'logged-models.set-tags': (api, _h, _t, v) => api.patch(`${API}/logged-models/${v.loggedModelId}/tags`, { tags: [{ key: 'k', value: 'x' }] }),
  'logged-models.delete-tag': (api, _h, _t, v) => api.delete(`${API}/logged-models/${v.loggedModelId}/tags/k`),
  'logged-models.log-params': (api, _h, _t, v) => api.post(`${API}/logged-models/${v.loggedModelId}/params`, { params: [{ key: 'k', value: 'x' }] }),
  'logged-models.list-artifacts': (api, _h, _t, v) => api.get(`${API}/logged-models/${v.loggedModelId}/artifacts/directories`),
  'experiments.permissions.get.other': (api, _h, _t, v) => api.get(`${API}/experiments/permissions/get`, { experiment_id: v.experimentId, username: 'alice' }),
  'experiments.permissions.update': (api, _h, _t, v) => api.patch(`${API}/experiments/permissions/update`, { experiment_id: v.experimentId, username: 'mallory', permission: 'MANAGE' }),
  'experiments.permissions.delete': (api, _h, _t, v) => api.delete(`${API}/experiments/permissions/delete`, { experiment_id: v.experimentId, username: 'mallory' }),
  'registered-models.permissions.create': (api, _h, _t, v) => api.post(`${API}/registered-models/permissions/create`, { name: v.model, username: 'mallory', permission: 'MANAGE' }),
  'registered-models.permissions.get.other': (api, _h, _t, v) => api.get(`${API}/registered-models/permissions/get`, { name: v.model, username: 'alice' }),
  'registered-models.permissions.update': (api, _h, _t, v) => api.patch(`${API}/registered-models/permissions/update`, { name: v.model, username: 'mallory', permission: 'MANAGE' }),
  'registered-models.permissions.delete': (api, _h, _t, v) => api.delete(`${API}/registered-models/permissions/delete`, { name: v.model, username: 'mallory' }),
  'transition-requests.create': (api, _h, _t, v) => api.post(`${API}/transition-requests/create`, { name: v.model, version: v.version, stage: 'Archived' }),
  'transition-requests.approve': (api, _h, _t, v) => api.post(`${API}/transition-requests/approve`, { name: v.model, version: v.version, stage: 'Staging' }),
  'transition-requests.approve.production': (api, _h, _t, v) => api.post(`${API}/transition-requests/approve`, { name: v.model, version: v.version, stage: 'Archived' }),
  'transition-requests.reject': (api, _h, _t, v) => api.post(`${API}/transition-requests/reject`, { name: v.model, version: v.version, stage: 'Staging' }),
  'transition-requests.reject.production': (api, _h, _t, v) => api.post(`${API}/transition-requests/reject`, { name: v.model, version: v.version, stage: 'Archived' }),
  'transition-requests.delete': (api, _h, _t, v) => api.delete(`${API}/transition-requests/delete`, { name: v.model, version: v.version, stage: 'Archived' }),
  'transition-requests.delete.others': (api, _h, _t, v) => api.delete(`${API}/transition-requests/delete`, { name: v.model, version: v.version, stage: 'Archived', creator: 'alice' }),
  'transition-requests.list': (api, _h, _t, v) => api.get(`${API}/transition-requests/list`, { name: v.model, version: v.version }),
  'alias-requests.create': (api, _h, _t, v) => api.post(`${API}/alias-requests/create`, { name: v.model, version: v.version, alias: 'production' }),
  'alias-requests.approve': (api, _h, _t, v) => api.post(`${API}/alias-requests/approve`, { name: v.model, version: v.version, alias: 'production' }),
  'alias-requests.reject': (api, _h, _t, v) => api.post(`${API}/alias-requests/reject`, { name: v.model, version: v.version, alias: 'production' }),
  'alias-requests.delete': (api, _h, _t, v) => api.delete(`${API}/alias-requests/delete`, { name: v.model, version: v.version, alias: 'production' }),
  'alias-requests.delete.others': (api, _h, _t, v) => api.delete(`${API}/alias-requests/delete`, { name: v.model, version: v.version, alias: 'production', creator: 'alice' }),
  'alias-requests.list': (api, _h, _t, v) => api.get(`${API}/alias-requests/list`, { name: v.model, version: v.version }),
  'registry.approval-policy.get': (api, _h, _t, v) => api.get(`${R}/registered-models/approval-policy`, { name: v.model }),
  'registry.approval-policy.set': (api, _h, _t, v) => api.post(`${R}/registered-models/approval-policy`, { name: v.model, require_approval: [] }),
  'comments.create': (api, _h, _t, v) => api.post(`${API}/comments/create`, { name: v.model, version: v.version, comment: 'pwned' }),
  'comments.update': (api, http, _t, v) => onAlicesComment(http, v, (id) => api.patch(`${API}/comments/update`, { id, comment: 'pwned' })),
  'comments.update.others': (api, http, _t, v) => onAlicesComment(http, v, (id) => api.patch(`${API}/comments/update`, { id, comment: 'pwned' })),
  'comments.delete': (api, http, _t, v) => onAlicesComment(http, v, (id) => api.delete(`${API}/comments/delete`, { id })),
  'comments.delete.others': (api, http, _t, v) => onAlicesComment(http, v, (id) => api.delete(`${API}/comments/delete`, { id })),
  'comments.list': (api, _h, _t, v) => api.get(`${API}/comments/list`, { name: v.model, version: v.version }),
  'webhooks.create': (api, _h, _t, v) =>
    api.post(`${API}/webhooks`, { name: 'stolen', url: 'https://evil.example.com/', model_name: v.model, events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }),
  'webhooks.get': (api, http, _t, v) => onAlicesWebhook(http, v, (id) => api.get(`${API}/webhooks/${id}`)),
  'webhooks.update': (api, http, _t, v) => onAlicesWebhook(http, v, (id) => api.patch(`${API}/webhooks/${id}`, { url: 'https://evil.example.com/' })),
  'webhooks.delete': (api, http, _t, v) => onAlicesWebhook(http, v, (id) => api.delete(`${API}/webhooks/${id}`)),
  'webhooks.test': (api, http, _t, v) => onAlicesWebhook(http, v, (id) => api.post(`${API}/webhooks/${id}/test`, {})),
  'webhooks.deliveries.list': (api, http, _t, v) => onAlicesWebhook(http, v, (id) => api.get(`${API}/webhooks/${id}/deliveries`)),
  'webhooks.deliveries.redeliver': (api, http, _t, v) => onAlicesWebhook(http, v, (id) => api.post(`${API}/webhooks/${id}/deliveries/00000000-0000-0000-0000-000000000000/redeliver`, {})),
  'registry.model-versions.activity': (api, _h, _t, v) => api.get(`${R}/model-versions/activity`, { name: v.model, version: v.version }),
};

/**
 * Rules an outsider passes by design: reading one's own grant (NO_PERMISSIONS; the `.other` case
 * is probed) or one's own effective level (permissions.effective, which tells an outsider
 * NO_PERMISSIONS), and registry.audit, whose two cases (an experiment's, a model's) are probed.
 */
const OPEN_BY_DESIGN = ['experiments.permissions.get', 'registered-models.permissions.get', 'permissions.effective', 'registry.audit'];
const probed = declaredRules().filter((r) => !OPEN_BY_DESIGN.includes(r.key));

/** The victim's resource, respelled: which fields a row's probe reads decides what is varied. */
function variantsOf(v: Victim): Array<[string, Victim]> {
  return [
    ...idVariants(v.experimentId).map((id): [string, Victim] => [`experiment_id ${JSON.stringify(id)}`, { ...v, experimentId: id }]),
    ...runIdVariants(v.runId).map((id): [string, Victim] => [`run_id ${JSON.stringify(id)}`, { ...v, runId: id }]),
    [`logged model id upper-case`, { ...v, loggedModelId: v.loggedModelId.toUpperCase() }],
    ...nameVariants(v.model).map((n): [string, Victim] => [`name ${JSON.stringify(n)}`, { ...v, model: n }]),
    ...versionVariants.map((n): [string, Victim] => [`version ${JSON.stringify(n)}`, { ...v, version: n }]),
  ];
}

describe.each([
  ['DEFAULT_PERMISSION=READ with explicit NO_PERMISSIONS grants', 'READ'],
  ['DEFAULT_PERMISSION=NO_PERMISSIONS', 'NO_PERMISSIONS'],
])('permission probe: %s', (_label, defaultPermission) => {
  let t: TestApp;
  let victim: Victim;
  let alice: ApiClient;
  let mallory: ApiClient;
  let malloryRun: { experimentId: string; runId: string };

  beforeAll(async () => {
    t = await startTestApp({ DEFAULT_PERMISSION: defaultPermission });
    alice = t.as('alice');
    mallory = t.as('mallory');
    const experimentId = (await alice.post(`${API}/experiments/create`, { name: `victim-experiment`, tags: [{ key: 'owner', value: 'alice' }] }).expect(200)).body.experiment_id as string;
    const runId = (await alice.post(`${API}/runs/create`, { experiment_id: experimentId }).expect(200)).body.run.info.run_id as string;
    await put(t.http, alice.token, `${A}/${experimentId}/${runId}/artifacts/secret.txt`).expect(200);
    await put(t.http, alice.token, `${A}/${experimentId}/${runId}/artifacts/model/MLmodel`).expect(200);
    await alice.post(`${API}/runs/log-metric`, { run_id: runId, key: 'loss', value: 1, timestamp: 1, step: 0 }).expect(200);
    const loggedModelId = (await alice.post(`${API}/logged-models`, { experiment_id: experimentId }).expect(200)).body.model.info.model_id as string;
    const model = await createModel(alice, uniqueName('victim'));
    const version = (await alice.post(`${API}/model-versions/create`, { name: model, source: `runs:/${runId}/model`, run_id: runId }).expect(200)).body.model_version.version as string;
    await transition(alice, model, version, 'Production').expect(200);
    victim = { experimentId, runId, loggedModelId, model, version };
    // Explicit denials: with DEFAULT_PERMISSION=READ they are all that keeps mallory out.
    await alice.post(`${API}/experiments/permissions/create`, { experiment_id: experimentId, username: 'mallory', permission: 'NO_PERMISSIONS' }).expect(200);
    await alice.post(`${API}/registered-models/permissions/create`, { name: model, username: 'mallory', permission: 'NO_PERMISSIONS' }).expect(200);

    const own = (await mallory.post(`${API}/experiments/create`, { name: uniqueName('mallory') }).expect(200)).body.experiment_id as string;
    const ownRun = (await mallory.post(`${API}/runs/create`, { experiment_id: own }).expect(200)).body.run.info.run_id as string;
    malloryRun = { experimentId: own, runId: ownRun };
  });
  afterAll(async () => {
    await t.close();
  });

  it('has a probe for every permission rule of the route table', () => {
    expect(probed.filter((r) => !(r.key in PROBES)).map((r) => r.key)).toEqual([]);
  });

  const rows = probed;

  it.each(rows.map((e) => [e.key]))('%s: refused with 403 for the canonical spelling', async (key) => {
    const res = await PROBES[key]!(mallory, t.http, mallory.token, victim);
    expect([res.status, res.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
  });

  it.each(rows.map((e) => [e.key]))('%s: refused for every other spelling of the ids', async (key) => {
    const leaks: string[] = [];
    for (const [label, respelled] of variantsOf(victim)) {
      const res = await PROBES[key]!(mallory, t.http, mallory.token, respelled);
      if (res.status < 400 || res.status >= 500) leaks.push(`${label} → ${res.status}`);
    }
    expect(leaks).toEqual([]);
  });

  it("finds nothing of the victim's through any search or serving route", async () => {
    const names = (list: unknown, field: string) => ((list ?? []) as Array<Record<string, unknown>>).map((x) => x[field]);
    const experiments = await mallory.post(`${API}/experiments/search`, { max_results: 1000, view_type: 'ALL' }).expect(200);
    expect(names(experiments.body.experiments, 'name')).not.toContain('victim-experiment');
    const runs = await mallory.post(`${API}/runs/search`, { experiment_ids: [victim.experimentId], run_view_type: 'ALL' });
    expect(runs.status === 403 || (runs.status === 200 && (runs.body.runs ?? []).length === 0)).toBe(true);
    const models = await mallory.get(`${API}/registered-models/search`, { max_results: '1000' }).expect(200);
    expect(names(models.body.registered_models, 'name')).not.toContain(victim.model);
    const versions = await mallory.get(`${API}/model-versions/search`, { filter: `name = '${victim.model}'` }).expect(200);
    expect(versions.body.model_versions ?? []).toEqual([]);
    const logged = await mallory.post(`${API}/logged-models/search`, { experiment_ids: [victim.experimentId] });
    expect(logged.status === 403 || (logged.status === 200 && (logged.body.models ?? []).length === 0)).toBe(true);
    for (const selector of ['Production', victim.version, 'latest']) {
      const file = await t.http.get(`${R}/models/${victim.model}/${selector}/files/MLmodel`).set(bearer(mallory.token));
      expect([selector, file.status]).toEqual([selector, 403]);
    }
  });

  it('keeps grants with the model, not its name, across a rename', async () => {
    const before = await createModel(alice, uniqueName('renamed'));
    await alice.post(`${API}/registered-models/permissions/create`, { name: before, username: 'mallory', permission: 'NO_PERMISSIONS' }).expect(200);
    const after = uniqueName('renamed');
    await alice.post(`${API}/registered-models/rename`, { name: before, new_name: after }).expect(200);
    const denied = await mallory.get(`${API}/registered-models/get`, { name: after });
    expect([denied.status, denied.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    // The old name is free, and a model made under it owes nothing to the renamed one's grants.
    await createModel(mallory, before);
    const own = await mallory.get(`${API}/registered-models/get`, { name: before }).expect(200);
    expect(own.body.registered_model.name).toBe(before);
    const grants = await alice.get(`${API}/registered-models/permissions/list`, { name: after }).expect(200);
    expect(JSON.stringify(grants.body)).toContain('NO_PERMISSIONS');
  });

  it("left the victim's data as it was", async () => {
    const e = await alice.get(`${API}/experiments/get`, { experiment_id: victim.experimentId }).expect(200);
    expect(e.body.experiment.name).toBe('victim-experiment');
    expect(e.body.experiment.tags).toEqual([{ key: 'owner', value: 'alice' }]);
    const run = await alice.get(`${API}/runs/get`, { run_id: victim.runId }).expect(200);
    expect(run.body.run.data.tags ?? []).not.toContainEqual(expect.objectContaining({ key: 't' }));
    expect(run.body.run.info.status).toBe('RUNNING');
    const mv = await alice.get(`${API}/model-versions/get`, { name: victim.model, version: victim.version }).expect(200);
    expect(mv.body.model_version.current_stage).toBe('Production');
    expect(mv.body.model_version.description ?? '').toBe('');
    const files = await alice.get(`${API}/artifacts/list`, { run_id: victim.runId }).expect(200);
    expect((files.body.files as Array<{ path: string }>).map((f) => f.path).sort()).toEqual(['model', 'secret.txt']);
  });

  describe('model version sources', () => {
    let mine: string;
    beforeAll(async () => {
      mine = await createModel(mallory, uniqueName('mallory-model'));
    });

    const createVersion = (source: string) => mallory.post(`${API}/model-versions/create`, { name: mine, source });

    it.each([
      ['the store root', 'mlflow-artifacts:/'],
      ['the store root without a slash', 'mlflow-artifacts:'],
      ['the store root behind a host', 'mlflow-artifacts://h/'],
      ['every registry upload', 'mlflow-artifacts:/registry'],
      ['a bare registered model prefix', 'mlflow-artifacts:/registry/1'],
      ["a model's uploads folder", 'mlflow-artifacts:/registry/1/uploads'],
      ['an unknown prefix', 'mlflow-artifacts:/elsewhere/x'],
    ])('refuses %s with 400', async (_what, source) => {
      const res = await createVersion(source);
      expect([res.status, res.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    });

    it("refuses a bare experiment prefix, even the caller's own", async () => {
      for (const source of [`mlflow-artifacts:/${victim.experimentId}`, `mlflow-artifacts:/${malloryRun.experimentId}`, `mlflow-artifacts:/${malloryRun.experimentId}/${malloryRun.runId}`]) {
        const res = await createVersion(source);
        expect([source, res.status, res.body.error_code]).toEqual([source, 400, 'INVALID_PARAMETER_VALUE']);
      }
    });

    it("refuses another model's uploads with 400", async () => {
      const other = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name: victim.model } });
      const res = await createVersion(`mlflow-artifacts:/registry/${other.id}/uploads/0123`);
      expect([res.status, res.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
      expect(res.body.message).toContain("another registered model's uploads");
    });

    it("refuses the victim's run and logged model artifacts with 403", async () => {
      for (const source of [
        `mlflow-artifacts:/${victim.experimentId}/${victim.runId}/artifacts`,
        `mlflow-artifacts://h/${victim.experimentId}/${victim.runId}/artifacts/model`,
        `mlflow-artifacts:/${victim.experimentId}/models/${victim.loggedModelId}/artifacts`,
        `runs:/${victim.runId}/model`,
        `models:/${victim.loggedModelId}`,
        `models:/${victim.model}/${victim.version}`,
        `models:/${victim.model}/Production`,
      ]) {
        const res = await createVersion(source);
        expect([source, res.status, res.body.error_code]).toEqual([source, 403, 'PERMISSION_DENIED']);
      }
    });

    it("refuses a run's key under another experiment than the run's", async () => {
      const res = await createVersion(`mlflow-artifacts:/${victim.experimentId}/${malloryRun.runId}/artifacts`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });

    it("accepts the caller's own run artifacts and serves exactly them", async () => {
      await put(t.http, mallory.token, `${A}/${malloryRun.experimentId}/${malloryRun.runId}/artifacts/model/weights.bin`).expect(200);
      const res = await createVersion(`mlflow-artifacts:/${malloryRun.experimentId}/${malloryRun.runId}/artifacts/model`).expect(200);
      const version = res.body.model_version.version as string;
      const file = await t.http.get(`${R}/models/${mine}/${version}/files/weights.bin`).set(bearer(mallory.token)).expect(200);
      expect(Buffer.from(file.body as Buffer).toString()).toBe('pwned');
      const escape = await t.http.get(`${R}/models/${mine}/${version}/files/..%2F..%2F..%2F${victim.runId}/artifacts/secret.txt`).set(bearer(mallory.token));
      expect(escape.status).toBe(400);
    });

    it('never serves a version written before sources were checked, and the migration marks it', async () => {
      const goodSource = `mlflow-artifacts:/${malloryRun.experimentId}/${malloryRun.runId}/artifacts`;
      const goodVersion = (await createVersion(goodSource).expect(200)).body.model_version.version as string;
      const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name: mine } });
      const version = 900 + (defaultPermission === 'READ' ? 1 : 2);
      await t.container.prisma.modelVersion.create({
        data: { modelId: model.id, version, source: 'mlflow-artifacts:/', currentStage: 'Production', creationTime: 0n, lastUpdatedTime: 0n, userId: 'mallory' },
      });
      const file = await t.http.get(`${R}/models/${mine}/${version}/files/${victim.experimentId}/${victim.runId}/artifacts/secret.txt`).set(bearer(mallory.token));
      expect([file.status, file.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
      const archive = await t.http.get(`${R}/models/${mine}/${version}/archive`).set(bearer(mallory.token));
      expect([archive.status, archive.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);

      const sql = await fs.readFile(path.join(MIGRATIONS_DIR, '20261201120000_flag_unservable_sources', 'migration.sql'), 'utf8');
      await t.container.prisma.$executeRawUnsafe(sql);
      const flagged = await mallory.get(`${API}/model-versions/get`, { name: mine, version: String(version) }).expect(200);
      expect(flagged.body.model_version.status).toBe('FAILED_REGISTRATION');
      const good = await mallory.get(`${API}/model-versions/get`, { name: mine, version: goodVersion }).expect(200);
      expect(good.body.model_version.status).toBe('READY');
    });
  });

  describe('runs linked to logged models', () => {
    it("refuses linking the caller's run to someone else's logged model", async () => {
      const inputs = await mallory.post(`${API}/runs/log-inputs`, { run_id: malloryRun.runId, datasets: [], models: [{ model_id: victim.loggedModelId }] });
      expect([inputs.status, inputs.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
      const outputs = await mallory.post(`${API}/runs/outputs`, { run_id: malloryRun.runId, models: [{ model_id: victim.loggedModelId, step: 0 }] });
      expect([outputs.status, outputs.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
      const run = await mallory.get(`${API}/runs/get`, { run_id: malloryRun.runId }).expect(200);
      expect(run.body.run.inputs?.model_inputs ?? []).toEqual([]);
      expect(run.body.run.outputs?.model_outputs ?? []).toEqual([]);
    });

    it("links the caller's run to the caller's own logged model", async () => {
      const own = (await mallory.post(`${API}/logged-models`, { experiment_id: malloryRun.experimentId }).expect(200)).body.model.info.model_id as string;
      await mallory.post(`${API}/runs/log-inputs`, { run_id: malloryRun.runId, datasets: [], models: [{ model_id: own }] }).expect(200);
      await mallory.post(`${API}/runs/outputs`, { run_id: malloryRun.runId, models: [{ model_id: own, step: 3 }] }).expect(200);
      const run = await mallory.get(`${API}/runs/get`, { run_id: malloryRun.runId }).expect(200);
      expect(run.body.run.inputs.model_inputs).toEqual([{ model_id: own }]);
      expect(run.body.run.outputs.model_outputs).toEqual([{ model_id: own, step: 3 }]);
    });
  });
});
