import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createMetricsApp } from '../../src/http/metrics';
import { createLogger } from '../../src/logger';
import { freePort, spawnRegistry, stopRegistry, waitUntilAnswering, type RegistryProcess } from '../helpers/registry-process';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import { linearModel } from '../../src/lib/onnx/linear-model';
import { API, createModel, uniqueName } from './registry-fixtures';
import { parse, value } from '../helpers/prometheus';
import { abc, ABC_COLUMNS, invoke, onnxVersion, registerVersion } from './serving-fixtures';

const TOKEN = 'metrics-token-0123456789';

describe('GET /metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  const scrape = async () => parse((await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text);

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(() => t.close());

  it('refuses a scrape without the token or with a wrong one, in MLflow error format', async () => {
    const none = await t.http.get('/metrics').expect(401);
    expect(none.body.error_code).toBe('UNAUTHENTICATED');
    const wrong = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}x`).expect(401);
    expect(wrong.body.error_code).toBe('UNAUTHENTICATED');
    // An API token is not the metrics token.
    await t.http.get('/metrics').set('Authorization', `Bearer ${t.as().token}`).expect(401);
  });

  it('answers the text format with the default process metrics and the pool gauges', async () => {
    await t.as().get(`${API}/experiments/search`, { max_results: 1 }).expect(200);
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parse(res.text);
    const names = new Set(samples.map((s) => s.name));
    for (const n of [
      'process_cpu_user_seconds_total',
      'nodejs_heap_size_used_bytes',
      'registry_db_pool_connections',
      'registry_db_pool_idle_connections',
      'registry_db_pool_waiting_requests',
      'registry_http_requests_in_flight',
    ]) {
      expect(names).toContain(n);
    }
    // The test app's pool holds at most DATABASE_POOL_SIZE=5 connections, and the search opened one.
    const total = value(samples, 'registry_db_pool_connections');
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(5);
    // This scrape is in flight while it is answered.
    expect(value(samples, 'registry_http_requests_in_flight')).toBeGreaterThanOrEqual(1);
  });

  it('labels requests by the route template, never by the raw path, with the ajax-api mirror folded in', async () => {
    const name = await createModel(t.as(), uniqueName('metrics'));
    await t.as().get(`${API}/registered-models/get`, { name }).expect(200);
    await t.as().get(`/ajax-api/2.0/mlflow/registered-models/get`, { name }).expect(200);
    // No version 1: a 404 answered by the serving route, so it is labelled by its template.
    await t.as().get(`/api/2.0/registry/models/${name}/1/files/x`).expect(404);
    await t.as().get(`/api/2.0/mlflow/no-such-endpoint/${name}`).expect(404);

    const text = (await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;
    const samples = parse(text);
    const count = 'registry_http_request_duration_seconds_count';
    expect(value(samples, count, { method: 'GET', route: '/api/2.0/mlflow/registered-models/get', status_code: '200' })).toBe(2);
    expect(value(samples, count, { method: 'POST', route: '/api/2.0/mlflow/registered-models/create', status_code: '200' })).toBe(1);
    expect(value(samples, count, { method: 'GET', route: '/api/2.0/registry/models/:name/:selector/files/*path', status_code: '404' })).toBe(1);
    expect(value(samples, count, { method: 'GET', route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
    const routes = new Set(samples.filter((s) => s.name === count).map((s) => s.labels.route));
    expect([...routes].some((r) => r!.includes('ajax-api'))).toBe(false);
    // Neither the model's name nor the raw path is ever a label.
    expect(text).not.toContain(name);
  });

  it('counts a repeated registered-models/get as a cache hit', async () => {
    const name = await createModel(t.as(), uniqueName('cached'));
    const hits = { cache: 'registered_model', result: 'hit' };
    const before = value(await scrape(), 'registry_cache_lookups_total', hits);
    await t.as().get(`${API}/registered-models/get`, { name }).expect(200);
    await t.as().get(`${API}/registered-models/get`, { name }).expect(200);
    const after = await scrape();
    expect(value(after, 'registry_cache_lookups_total', hits)).toBeGreaterThan(before);
    // Tokens: the test client's one token, verified once and then answered from the cache.
    expect(value(after, 'registry_cache_lookups_total', { cache: 'token', result: 'hit' })).toBeGreaterThan(0);
    expect(value(after, 'registry_cache_lookups_total', { cache: 'token', result: 'miss' })).toBeGreaterThan(0);
  });

  it('counts artifact bytes received on upload and sent on download', async () => {
    const api = t.as();
    const experimentId = (await api.post(`${API}/experiments/create`, { name: uniqueName('metrics-exp') }).expect(200)).body.experiment_id as string;
    const runId = (await api.post(`${API}/runs/create`, { experiment_id: experimentId }).expect(200)).body.run.info.run_id as string;
    const body = Buffer.alloc(12_345, 7);
    const path = `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/weights.bin`;
    const before = await scrape();
    await t.http.put(path).set('Authorization', `Bearer ${api.token}`).set('Content-Type', 'application/octet-stream').send(body).expect(200);
    const afterUpload = await scrape();
    expect(value(afterUpload, 'registry_artifact_received_bytes_total') - value(before, 'registry_artifact_received_bytes_total')).toBe(body.length);
    const res = await t.http.get(path).set('Authorization', `Bearer ${api.token}`).buffer(true).expect(200);
    expect(Number(res.headers['content-length'])).toBe(body.length);
    const afterDownload = await scrape();
    expect(value(afterDownload, 'registry_artifact_sent_bytes_total') - value(afterUpload, 'registry_artifact_sent_bytes_total')).toBe(body.length);
    expect(value(afterDownload, 'registry_http_request_duration_seconds_count', { method: 'GET', route: '/api/2.0/mlflow-artifacts/artifacts/*path' })).toBe(1);
    // The search statements and hot reads went through the SQL executor.
    expect(value(afterDownload, 'registry_db_query_duration_seconds_count')).toBeGreaterThan(0);
  });

  it('shows the ONNX models loaded for predictions, their bytes and the predictions in flight', async () => {
    const before = await scrape();
    expect(value(before, 'registry_serving_models_loaded')).toBe(0);
    const name = await createModel(t.as('alice'));
    await registerVersion(t, name, onnxVersion(abc(1), ABC_COLUMNS));
    await invoke(t, name, '1', { dataframe_records: [{ a: 1, b: 1, c: 1 }] }).expect(200);
    const after = await scrape();
    expect(value(after, 'registry_serving_models_loaded')).toBe(1);
    expect(value(after, 'registry_serving_model_bytes')).toBe(linearModel(abc(1)).length);
    expect(value(after, 'registry_serving_predictions_in_flight')).toBe(0);
  });

  it('exports every metric the example Grafana dashboard queries', async () => {
    const text = (await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!])));
    const dashboard = fs.readFileSync(path.join(__dirname, '../../docs/grafana-dashboard.json'), 'utf8');
    const queried = new Set([...dashboard.matchAll(/\b((?:registry|process|nodejs)_[a-z0-9_]+)\{/g)].map((m) => m[1]!));
    expect(queried.size).toBeGreaterThan(10);
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('keeps each container its own registry', async () => {
    const other = await startTestApp({ METRICS_TOKEN: TOKEN });
    try {
      const samples = parse((await other.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text);
      expect(value(samples, 'registry_http_request_duration_seconds_count', { route: '/api/2.0/mlflow/registered-models/get' })).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('/metrics with neither METRICS_TOKEN nor METRICS_PORT', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is not served', async () => {
    const res = await t.http.get('/metrics').expect(404);
    expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('METRICS_PORT', () => {
  let t: TestApp;
  let server: Server;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
    // What main.ts serves on METRICS_PORT.
    const app = createMetricsApp(t.container.metrics, t.container.config.metrics.token, createLogger('silent'));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await t.close();
  });

  it('serves /metrics on its own port only, and the main port answers 404 for it', async () => {
    await t.as().get(`${API}/experiments/search`, { max_results: 1 }).expect(200);
    const res = await request(server).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(value(parse(res.text), 'registry_http_request_duration_seconds_count', { route: '/api/2.0/mlflow/experiments/search' })).toBe(1);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    await request(server).get('/metrics').expect(401);
    expect((await request(server).get('/api/2.0/mlflow/experiments/search').expect(404)).body.error_code).toBe('ENDPOINT_NOT_FOUND');
    const main = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
    expect(main.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('the service process with METRICS_PORT', () => {
  let db: TestDatabase;
  let registry: RegistryProcess | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-metrics-'));
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await stopRegistry(registry);
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves /metrics on METRICS_HOST:METRICS_PORT without a token, and not on PORT', async () => {
    const metricsPort = await freePort();
    registry = await spawnRegistry({ DATA_DIR: dataDir, DATABASE_URL: db.url, METRICS_PORT: String(metricsPort), METRICS_TOKEN: undefined });
    await waitUntilAnswering(registry);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const samples = parse(await res.text());
    expect(value(samples, 'registry_http_request_duration_seconds_count', { route: '/health', status_code: '200' })).toBeGreaterThanOrEqual(1);
    const main = await fetch(`${registry.url}/metrics`);
    expect(main.status).toBe(404);
    expect(((await main.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND');
  }, 60_000);
});
