import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
const M = '/api/2.0/mlflow';
beforeAll(async () => {
  t = await startTestApp();
  for (const [name, team] of [['churn-a', 'ml'], ['churn-b', 'ops'], ['fraud', 'ml']] as const) {
    await t.as().post(`${M}/registered-models/create`, { name, tags: [{ key: 'team', value: team }] }).expect(200);
    for (let i = 0; i < 2; i++) {
      await t.as().post(`${M}/model-versions/create`, { name, source: `s3://bucket/${name}/${i}`, tags: [{ key: 'flavor', value: i ? 'onnx' : 'sklearn' }] }).expect(200);
    }
  }
});
afterAll(async () => {
  await t.close();
});

const modelNames = (b: { registered_models?: Array<{ name: string }> }) => (b.registered_models ?? []).map((m) => m.name);
const versions = (b: { model_versions?: Array<{ name: string; version: string }> }) => (b.model_versions ?? []).map((v) => `${v.name}/${v.version}`);

describe('registry search filters', () => {
  it('filters registered models by name and tags and orders them', async () => {
    expect(modelNames((await t.as().get(`${M}/registered-models/search`, { filter: "name LIKE 'churn%'" }).expect(200)).body)).toEqual(['churn-a', 'churn-b']);
    expect(modelNames((await t.as().get(`${M}/registered-models/search`, { filter: "tags.team = 'ml'", order_by: 'name DESC' }).expect(200)).body)).toEqual(['fraud', 'churn-a']);
    expect(modelNames((await t.as().get(`${M}/registered-models/search`, { filter: "name ILIKE 'FRAUD'" }).expect(200)).body)).toEqual(['fraud']);
  });

  it('filters model versions by name, version number, source and tags', async () => {
    expect(versions((await t.as().get(`${M}/model-versions/search`, { filter: "name = 'fraud'", order_by: 'version_number ASC' }).expect(200)).body)).toEqual(['fraud/1', 'fraud/2']);
    expect(versions((await t.as().get(`${M}/model-versions/search`, { filter: "version_number > 1 AND name LIKE 'churn%'", order_by: 'name' }).expect(200)).body)).toEqual(['churn-a/2', 'churn-b/2']);
    expect(versions((await t.as().get(`${M}/model-versions/search`, { filter: "source_path = 's3://bucket/fraud/0'" }).expect(200)).body)).toEqual(['fraud/1']);
    expect(versions((await t.as().get(`${M}/model-versions/search`, { filter: "tags.flavor = 'onnx' AND name = 'churn-b'" }).expect(200)).body)).toEqual(['churn-b/2']);
  });

  it.each([
    [`${M}/registered-models/search`, { filter: "description = 'x'" }, 'not searchable'],
    [`${M}/registered-models/search`, { order_by: 'version_number' }, 'Invalid order_by key'],
    [`${M}/model-versions/search`, { filter: "version_number = 'one'" }, 'expected a number'],
    [`${M}/model-versions/search`, { filter: "stage = 'Production'" }, 'not searchable'],
  ])('answers 400 INVALID_PARAMETER_VALUE on %s %j', async (path, query, message) => {
    const res = await t.as().get(path, query).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(message);
  });
});
