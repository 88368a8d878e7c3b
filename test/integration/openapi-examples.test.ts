import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type S3rver from 's3rver';
import type request from 'supertest';
import { EXAMPLE_VALUES, EXAMPLES, type Need, type Placeholder, renderExample, type RouteExample } from '../../src/http/openapi-examples';
import { openApiPath } from '../../src/http/openapi';
import { type AnyRoute, fullPaths } from '../../src/http/route-table';
import { linearModel } from '../../src/lib/onnx/linear-model';
import { onnxMLmodel } from '../../src/lib/onnx/mlmodel-file';
import { declaredRows } from '../helpers/routes';
import { startS3MultipartTestServer } from '../helpers/s3-multipart-test-server';
import { type ApiClient, startTestApp, type TestApp } from '../helpers/test-app';

// Every operation's documented example (src/http/openapi-examples.ts, shown in /api/openapi.json)
// sent to a real server, with the ids of resources made for it, gets the documented status. Each
// example gets resources of its own, so the ones that change or delete what they act on never
// disturb another, and they run a few at a time. The S3 server is the one that can abort a multipart upload, as S3 and MinIO do.

const M = '/api/2.0/mlflow';
let s3: S3rver;
let s3Dir: string;
let t: TestApp;
let admin: ApiClient;
let alice: ApiClient;
// The document as parsed JSON, read by path.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON document
let doc: { paths: Record<string, Record<string, any>> };

beforeAll(async () => {
  s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-s3-examples-'));
  const started = await startS3MultipartTestServer(s3Dir);
  s3 = started.s3;
  t = await startTestApp({ S3_ENDPOINT: `http://127.0.0.1:${started.port}`, WEBHOOK_SECRET_KEY: 'webhook-key-of-the-tests-0123456789abcdef', WEBHOOK_POLL_INTERVAL_MS: '60000' });
  admin = t.as();
  alice = t.as('alice', { admin: false });
  doc = (await t.http.get('/api/openapi.json').expect(200)).body;
});
afterAll(async () => {
  await t?.close();
  await s3?.close();
  fs.rmSync(s3Dir, { recursive: true, force: true });
});

let seq = 0;

/** The needs that act on the registered model. */
const ON_MODEL: ReadonlySet<Need> = new Set(['grants', 'transition-request', 'alias-request', 'comment', 'webhook', 'delivery']);

/**
 * The resources every example may assume (NEEDS in openapi-examples.ts), and its needs on top; the
 * logged model and the registered model only for an example that names them.
 */
async function resourcesFor(example: RouteExample): Promise<Record<Placeholder, string>> {
  const needs = example.needs ?? [];
  const names = (p: Placeholder) => JSON.stringify(example).includes(`{{${p}}}`);
  const n = ++seq;
  const ok = async (r: request.Test) => (await r.expect(200)).body;
  const experimentName = `fraud-detection-${n}`;
  const experimentId = (await ok(admin.post(`${M}/experiments/create`, { name: experimentName, tags: [{ key: 'team', value: 'risk' }] }))).experiment_id as string;
  const runId = (await ok(admin.post(`${M}/runs/create`, { experiment_id: experimentId }))).run.info.run_id as string;
  await ok(
    admin.post(`${M}/runs/log-batch`, {
      run_id: runId,
      params: [{ key: 'lr', value: '0.01' }],
      metrics: [0.4, 0.3, 0.25].map((value, step) => ({ key: 'rmse', value, step, timestamp: 1764633600000 + step })),
      tags: [{ key: 'team', value: 'risk' }],
    }),
  );
  const put = (file: string, bytes: Uint8Array | string) => t.container.artifactStore.put(`${experimentId}/${runId}/artifacts/${file}`, Readable.from([Buffer.from(bytes)]));
  await put('model/MLmodel', onnxMLmodel());
  await put('model/model.onnx', linearModel({ weights: [[2]], bias: [1] }));
  await put('notes.txt', 'first try\n');
  let loggedModelId = '';
  if (names('logged_model_id')) {
    loggedModelId = (await ok(admin.post(`${M}/logged-models`, { experiment_id: experimentId, name: 'xgb' }))).model.info.model_id as string;
    await ok(admin.patch(`${M}/logged-models/${loggedModelId}/tags`, { tags: [{ key: 'team', value: 'risk' }] }));
  }
  const name = `fraud-detector-${n}`;
  if (names('model_name') || needs.some((need) => ON_MODEL.has(need))) {
    await ok(admin.post(`${M}/registered-models/create`, { name, tags: [{ key: 'team', value: 'risk' }] }));
    for (let v = 0; v < 2; v++) await ok(admin.post(`${M}/model-versions/create`, { name, source: `runs:/${runId}/model`, run_id: runId }));
    await ok(admin.post(`${M}/model-versions/transition-stage`, { name, version: '2', stage: 'Production' }));
    await ok(admin.post(`${M}/registered-models/alias`, { name, alias: 'champion', version: '2' }));
  }

  const values: Record<Placeholder, string> = {
    experiment_id: experimentId,
    experiment_name: experimentName,
    run_id: runId,
    logged_model_id: loggedModelId,
    model_name: name,
    webhook_id: '',
    delivery_id: '',
    comment_id: '',
    upload_id: '',
    part_etag: '',
  };
  const make: Record<Need, () => Promise<void>> = {
    'deleted-run': async () => void (await ok(admin.post(`${M}/runs/delete`, { run_id: runId }))),
    'deleted-experiment': async () => void (await ok(admin.post(`${M}/experiments/delete`, { experiment_id: experimentId }))),
    'transition-request': async () => void (await ok(alice.post(`${M}/transition-requests/create`, { name, version: '1', stage: 'Staging' }))),
    grants: async () => {
      await ok(admin.post(`${M}/experiments/permissions/create`, { experiment_id: experimentId, group: 'data-science', permission: 'EDIT' }));
      await ok(admin.post(`${M}/registered-models/permissions/create`, { name, group: 'ml-ops', permission: 'MANAGE_STAGING' }));
    },
    'alias-request': async () => void (await ok(alice.post(`${M}/alias-requests/create`, { name, version: '1', alias: 'champion' }))),
    comment: async () => {
      values.comment_id = String((await ok(admin.post(`${M}/comments/create`, { name, version: '1', comment: 'Latency p99 is 12 ms.' }))).comment.id);
    },
    webhook: async () => {
      const events = [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }];
      values.webhook_id = (await ok(admin.post(`${M}/webhooks`, { name: 'hook', url: 'https://hooks.example.com/registry', events, model_name: name }))).webhook.webhook_id;
    },
    delivery: async () => {
      await make.webhook();
      await ok(admin.post(`${M}/model-versions/set-tag`, { name, version: '1', key: 'validation', value: 'passed' }));
      const deliveries = (await ok(admin.get(`${M}/webhooks/${values.webhook_id}/deliveries`))).deliveries as Array<{ delivery_id: string }>;
      expect(deliveries).toHaveLength(1);
      values.delivery_id = deliveries[0]!.delivery_id;
    },
    'multipart-upload': async () => {
      const created = await ok(admin.post(`/api/2.0/mlflow-artifacts/mpu/create/${experimentId}/${runId}/artifacts/model`, { path: 'weights.bin', num_parts: 1 }));
      const part = await fetch(created.credentials[0].url, { method: 'PUT', body: 'some weights' });
      expect(part.status).toBe(200);
      values.upload_id = created.upload_id;
      values.part_etag = part.headers.get('etag') ?? '';
    },
  };
  for (const need of needs) await make[need]();
  return values;
}

/** The example's request on the row's path, as a client sends it. */
function send(row: AnyRoute, example: RouteExample): request.Test {
  const url = fullPaths(row)[example.path ?? 0]!.replace(/([:*])(\w+)/g, (_m, kind: string, name: string) => {
    const value = example.params?.[name] ?? '';
    return kind === '*' ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);
  });
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(example.query ?? {})) for (const x of [v].flat()) query.append(k, x);
  const method = row.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  const req = t.http[method](query.size > 0 ? `${url}?${query.toString()}` : url).set('Authorization', `Bearer ${admin.token}`);
  if (example.body !== undefined) return req.send(example.body as object);
  if (example.bytes) return req.set('Content-Type', example.bytes.type).send(Buffer.from(example.bytes.text));
  for (const f of example.files ?? []) void req.attach('file', Buffer.from(f.text), f.name);
  return req;
}

/** What the document shows of the example on the row's operation, in the shape of RouteExample. */
function documented(row: AnyRoute, example: RouteExample): Partial<RouteExample> {
  const op = doc.paths[openApiPath(fullPaths(row)[example.path ?? 0]!)]![row.method.toLowerCase()];
  const parameters = (op.parameters ?? []) as Array<{ name: string; in: string; example?: string }>;
  const shown = (where: string): Record<string, string> => Object.fromEntries(parameters.flatMap((p) => (p.in === where && p.example !== undefined ? [[p.name, p.example]] : [])));
  const content = (op.requestBody?.content ?? {}) as Record<string, { examples?: { example: { value: unknown } } }>;
  const [type, media] = Object.entries(content)[0] ?? [];
  const value = media?.examples?.example.value;
  return {
    ...(example.params ? { params: shown('path') } : {}),
    ...(example.query ? { query: shown('query') } : {}),
    ...(example.body !== undefined ? { body: value } : {}),
    ...(example.bytes ? { bytes: { type: type!, text: value as string } } : {}),
    ...(example.files ? { files: (value as { file: string[] }).file.map((text, i) => ({ name: example.files![i]!.name, text })) } : {}),
    status: Object.keys(op.responses).includes(String(example.status ?? 200)) ? (example.status ?? 200) : undefined,
  };
}

const rows = declaredRows();

it('has an example for every row of the route table, and none for a row that does not exist', () => {
  expect(Object.keys(EXAMPLES).sort()).toEqual(rows.map((r) => r.key).sort());
});

it.concurrent.each(rows.filter((r) => EXAMPLES[r.key]).map((r) => [r.key, r] as const))('%s: the documented example gets the documented status', async (_key, row) => {
  const example = EXAMPLES[row.key]!;
  const shown = renderExample(example, EXAMPLE_VALUES);
  const { params, query, body, bytes, files } = shown;
  expect(documented(row, example)).toEqual({ params, query, body, bytes, files, status: example.status ?? 200 });

  const res = await send(row, renderExample(example, await resourcesFor(example)));
  expect({ status: res.status, body: res.status >= 400 ? res.body : undefined }).toEqual({ status: example.status ?? 200, body: undefined });
});
