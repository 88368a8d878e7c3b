import fc from 'fast-check';
import { startTestApp, type ApiClient, type TestApp } from '../helpers/test-app';
import { listRoutes, type RouteRow } from '../helpers/routes';
import { bearer } from '../helpers/tokens';
import { API, createModel, transition, uniqueName } from './registry-fixtures';

/**
 * Malformed requests against every route the app serves: broken JSON, wrong types for every field
 * MLflow's messages have, NUL, lone surrogates, huge and negative numbers, forged page tokens and
 * traversal. Nothing may answer 5xx (MLflow's 501 for multipart uploads on a store without them
 * aside) or drop the connection, and what was stored before is left as it was.
 */

const FIELDS = [
  'name',
  'new_name',
  'experiment_id',
  'experiment_ids',
  'experiment_name',
  'run_id',
  'run_uuid',
  'run_ids',
  'key',
  'value',
  'version',
  'stage',
  'alias',
  'filter',
  'max_results',
  'page_token',
  'order_by',
  'tags',
  'metrics',
  'params',
  'source',
  'description',
  'model_id',
  'models',
  'datasets',
  'status',
  'start_time',
  'end_time',
  'timestamp',
  'step',
  'permission',
  'username',
  'group',
  'path',
  'metric_key',
  'run_view_type',
  'view_type',
  'archive_existing_versions',
  'stages',
  'run_name',
  'user_id',
  'artifact_location',
  'model_json',
  'run_link',
  'artifact_directory_path',
  'upload_id',
  'parts',
  'num_parts',
];

const FORGED_PAGE_TOKENS = [
  '!!!',
  'eyJvZmZzZXQiOi0xfQ',
  Buffer.from('{"offset":-1}').toString('base64'),
  Buffer.from('{"offset":1e400}').toString('base64'),
  Buffer.from('null').toString('base64'),
  'x'.repeat(5000),
];

const ODD_VALUES: unknown[] = [
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '',
  ' ',
  '../../etc/passwd',
  '%2e%2e%2f%2e%2e',
  '..\\..\\x',
  'x'.repeat(20_000),
  -1,
  0,
  2 ** 31,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  1e21,
  1.5,
  Number.MAX_VALUE,
  true,
  false,
  null,
  {},
  [],
  [null],
  [{}],
  [1, 'a'],
  { key: 'a\u0000', value: '\ud800' },
  [{ key: 'k', value: 'a\u0000b' }],
  ['a\u0000'],
  ...FORGED_PAGE_TOKENS,
  'attributes.start_time > 99999999999999999999',
  'metrics.x > 1e309',
  "tags.`a` = 'b' AND (",
  'constructor.x = 1',
  'toString',
];

/** JSON text the JSON encoder cannot produce: numbers out of range and broken documents. */
const RAW_BODIES = ['{"a":', '{', '[]', '"x"', 'null', '1', '{"max_results": 1e309}', '{"version": 99999999999999999999999}', '{"name": "\\ud800"}', '{"__proto__": {"x": 1}}', '\u0000'];

const arbitraryBody = fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(fc.constantFrom(...ODD_VALUES), fc.string(), fc.integer(), fc.double()), { maxKeys: 6 });

interface Failure {
  route: string;
  input: string;
  status: number | string;
  body: string;
}

describe('fuzz: malformed requests to every route', () => {
  let t: TestApp;
  let api: ApiClient;
  let routes: RouteRow[];
  const before: Record<string, unknown> = {};
  let model: string;
  let runId: string;
  let experimentId: string;

  const snapshot = async () => ({
    experiment: (await api.get(`${API}/experiments/get`, { experiment_id: experimentId }).expect(200)).body,
    run: (await api.get(`${API}/runs/get`, { run_id: runId }).expect(200)).body,
    model: (await api.get(`${API}/registered-models/get`, { name: model }).expect(200)).body,
    version: (await api.get(`${API}/model-versions/get`, { name: model, version: '1' }).expect(200)).body,
  });

  beforeAll(async () => {
    t = await startTestApp({ S3_ENDPOINT: '' });
    api = t.as();
    routes = listRoutes(t.container);
    experimentId = (await api.post(`${API}/experiments/create`, { name: uniqueName('fuzz'), tags: [{ key: 'k', value: 'v' }] }).expect(200)).body.experiment_id;
    runId = (await api.post(`${API}/runs/create`, { experiment_id: experimentId }).expect(200)).body.run.info.run_id;
    await api.post(`${API}/runs/log-batch`, { run_id: runId, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }], params: [{ key: 'p', value: 'v' }] }).expect(200);
    model = await createModel(api, uniqueName('fuzz'));
    await api.post(`${API}/model-versions/create`, { name: model, source: `runs:/${runId}/model`, run_id: runId }).expect(200);
    await transition(api, model, '1', 'Production').expect(200);
    Object.assign(before, await snapshot());
  }, 60_000);
  afterAll(async () => {
    await t.close();
  });

  it('finds the routes it fuzzes', () => {
    expect(routes.length).toBeGreaterThan(60);
    expect(routes).toContainEqual({ method: 'POST', path: '/api/2.0/mlflow/runs/log-batch' });
  });

  /** Concrete URLs for a route: parameters filled with real names and with odd values. */
  function urlsFor(route: RouteRow): string[] {
    const fill = (v: string) =>
      route.path.replace(/:name|:selector|:model_id|:tag_key|\*path/g, (p) =>
        p === ':name' ? encodeURIComponent(model) : p === ':selector' ? encodeURIComponent(v === 'x' ? 'Production' : v) : p === '*path' ? v : encodeURIComponent(v),
      );
    return [...new Set([fill('x'), fill('%00'), fill('2147483648'), fill('..%2F..%2Fetc'), fill('%ED%A0%80'), fill('@'), fill('9'.repeat(30))])];
  }

  it('answers no request with a 5xx and keeps the stored data', async () => {
    const failures: Failure[] = [];
    const token = api.token;
    const send = async (route: RouteRow, url: string, input: string, raw?: { body: string; type: string; encoding?: string }, query?: Record<string, string>) => {
      let req = t.http[route.method.toLowerCase() as 'get'](url).set(bearer(token));
      if (query) req = req.query(query);
      if (raw) {
        req = req.set('Content-Type', raw.type);
        if (raw.encoding) req = req.set('Content-Encoding', raw.encoding);
        req = req.send(raw.body);
      }
      let status: number | string;
      let body = '';
      try {
        const res = await req;
        status = res.status;
        body = res.text?.slice(0, 300) ?? '';
        const allowed501 = res.status === 501 && url.includes('/mpu/');
        if (res.status >= 500 && !allowed501) failures.push({ route: `${route.method} ${route.path}`, input: `${url} ${input}`.slice(0, 300), status, body });
        if (res.status >= 400 && res.status !== 405 && res.headers['content-type']?.includes('json')) {
          const parsed = JSON.parse(res.text) as { error_code?: unknown; message?: unknown };
          if (typeof parsed.error_code !== 'string' || typeof parsed.message !== 'string') {
            failures.push({ route: `${route.method} ${route.path}`, input: `${url} ${input}`.slice(0, 300), status, body: `not an MLflow error body: ${body}` });
          }
        }
      } catch (err) {
        failures.push({ route: `${route.method} ${route.path}`, input: `${url} ${input}`.slice(0, 300), status: 'connection', body: String(err) });
      }
    };

    for (const route of routes) {
      const urls = urlsFor(route);
      const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
      for (const url of urls) {
        for (const raw of RAW_BODIES) await send(route, url, `raw ${JSON.stringify(raw)}`, { body: raw, type: 'application/json' });
        await send(route, url, 'bad gzip', { body: 'not gzip', type: 'application/json', encoding: 'gzip' });
        await send(route, url, 'multipart garbage', { body: '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc', type: 'multipart/form-data; boundary=x' });
      }
      const url = urls[0]!;
      const samples = fc.sample(arbitraryBody, { numRuns: 25, seed: 42 });
      for (const body of samples) {
        if (hasBody || route.method === 'DELETE') await send(route, url, `json ${JSON.stringify(body)}`, { body: JSON.stringify(body), type: 'application/json' });
        const query = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')]));
        if (route.method === 'GET') await send(route, url, `query ${JSON.stringify(query)}`, undefined, query);
      }
    }
    expect(failures.slice(0, 40)).toEqual([]);
    await t.http.get('/health').expect(200);
    expect(await snapshot()).toEqual(before);
  }, 240_000);
});
