import { LIMITS } from '../../src/http/limits';
import { startTestApp, type ApiClient, type TestApp } from '../helpers/test-app';
import { API, createModel, uniqueName } from './registry-fixtures';

/** Every list and free-text field has a cap; what is over it is refused before it costs anything. */
describe('request caps', () => {
  let t: TestApp;
  let api: ApiClient;
  let experimentId: string;
  let runId: string;

  beforeAll(async () => {
    t = await startTestApp();
    api = t.as();
    experimentId = (await api.post(`${API}/experiments/create`, { name: uniqueName('caps') }).expect(200)).body.experiment_id as string;
    runId = (await api.post(`${API}/runs/create`, { experiment_id: experimentId }).expect(200)).body.run.info.run_id as string;
  });
  afterAll(async () => {
    await t.close();
  });

  const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));
  const long = (n: number) => 'x'.repeat(n);

  function expectRefused(res: { status: number; body: { error_code?: string; message?: string } }, field: string): void {
    expect([res.status, res.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(res.body.message).toContain(`'${field}'`);
    // The input is never echoed back whole.
    expect(res.body.message!.length).toBeLessThan(500);
  }

  it('refuses 500,000 tags on registered-models/create without creating the model', async () => {
    const name = uniqueName('many-tags');
    const res = await api.post(`${API}/registered-models/create`, { name, tags: tags(500_000) });
    expectRefused(res, 'tags');
    expect(res.body.message).toContain(`at most ${LIMITS.tagsPerRequest}`);
    await api.get(`${API}/registered-models/get`, { name }).expect(404);
  });

  it('accepts the cap itself and refuses one more, on every create that takes tags', async () => {
    const model = await createModel(api);
    const at = LIMITS.tagsPerRequest;
    const creates: Array<[string, (n: number) => Promise<{ status: number; body: Record<string, unknown> }>]> = [
      ['registered-models/create', (n) => api.post(`${API}/registered-models/create`, { name: uniqueName(), tags: tags(n) })],
      ['model-versions/create', (n) => api.post(`${API}/model-versions/create`, { name: model, source: 's3://b/m', tags: tags(n) })],
      ['experiments/create', (n) => api.post(`${API}/experiments/create`, { name: uniqueName(), tags: tags(n) })],
      ['runs/create', (n) => api.post(`${API}/runs/create`, { experiment_id: experimentId, tags: tags(n) })],
      ['logged-models', (n) => api.post(`${API}/logged-models`, { experiment_id: experimentId, tags: tags(n) })],
    ];
    for (const [what, create] of creates) {
      const over = await create(at + 1);
      expect([what, over.status, over.body.error_code]).toEqual([what, 400, 'INVALID_PARAMETER_VALUE']);
      const ok = await create(at);
      expect([what, ok.status]).toEqual([what, 200]);
    }
  });

  it.each([
    ['registered-models/create', 'description', LIMITS.descriptionLength, (v: string) => ({ path: 'registered-models/create', body: { name: uniqueName(), description: v } })],
    ['model-versions/create', 'source', LIMITS.sourceLength, (v: string) => ({ path: 'model-versions/create', body: { name: '$model', source: `s3://b/${v}`.slice(0, v.length) } })],
    ['model-versions/create', 'run_link', LIMITS.runLinkLength, (v: string) => ({ path: 'model-versions/create', body: { name: '$model', source: 's3://b/m', run_link: v } })],
    ['model-versions/create', 'description', LIMITS.descriptionLength, (v: string) => ({ path: 'model-versions/create', body: { name: '$model', source: 's3://b/m', description: v } })],
    ['runs/create', 'user_id', LIMITS.userIdLength, (v: string) => ({ path: 'runs/create', body: { experiment_id: '$experiment', user_id: v } })],
    ['runs/create', 'run_name', LIMITS.runNameLength, (v: string) => ({ path: 'runs/create', body: { experiment_id: '$experiment', run_name: v } })],
    ['logged-models', 'name', LIMITS.loggedModelNameLength, (v: string) => ({ path: 'logged-models', body: { experiment_id: '$experiment', name: v } })],
  ])('%s: %s is capped at its limit', async (_endpoint, field, limit, build) => {
    const model = await createModel(api);
    const send = (v: string) => {
      const { path, body } = build(v);
      const filled = JSON.parse(JSON.stringify(body).replace('"$model"', JSON.stringify(model)).replace('"$experiment"', JSON.stringify(experimentId)));
      return api.post(`${API}/${path}`, filled);
    };
    expectRefused(await send(long(limit + 1)), field);
    // Ten megabytes are refused just the same, and not repeated in the message.
    expectRefused(await send(long(10_000_000)), field);
    expect((await send(long(limit))).status).toBe(200);
  });

  it('caps the descriptions that updates set', async () => {
    const model = await createModel(api);
    await api.post(`${API}/model-versions/create`, { name: model, source: 's3://b/m' }).expect(200);
    expectRefused(await api.patch(`${API}/registered-models/update`, { name: model, description: long(LIMITS.descriptionLength + 1) }), 'description');
    expectRefused(await api.patch(`${API}/model-versions/update`, { name: model, version: '1', description: long(LIMITS.descriptionLength + 1) }), 'description');
    const got = await api.get(`${API}/registered-models/get`, { name: model }).expect(200);
    expect(got.body.registered_model.description ?? '').toBe('');
  });

  it('caps the lists of searches and links', async () => {
    const ids = Array.from({ length: LIMITS.idsPerRequest + 1 }, (_, i) => String(i));
    expectRefused(await api.post(`${API}/runs/search`, { experiment_ids: ids }), 'experiment_ids');
    expectRefused(await api.post(`${API}/runs/search`, { experiment_ids: [experimentId], order_by: Array(LIMITS.orderByTerms + 1).fill('start_time') }), 'order_by');
    expectRefused(await api.post(`${API}/logged-models/search`, { experiment_ids: ids }), 'experiment_ids');
    const models = Array.from({ length: LIMITS.idsPerRequest + 1 }, () => ({ model_id: 'm-0', step: 0 }));
    expectRefused(await api.post(`${API}/runs/outputs`, { run_id: runId, models }), 'models');
    expectRefused(await api.get(`${API}/registered-models/get`, { name: long(LIMITS.registeredModelNameLength + 1) }), 'name');
    expectRefused(await api.get(`${API}/runs/get`, { run_id: long(LIMITS.runIdLength + 1) }), 'run_id');
  });
});
