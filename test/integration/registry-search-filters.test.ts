import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
const M = '/api/2.0/mlflow';
beforeAll(async () => {
  t = await startTestApp();
  for (const [name, team] of [
    ['churn-a', 'ml'],
    ['churn-b', 'ops'],
    ['fraud', 'ml'],
  ] as const) {
    await t
      .as()
      .post(`${M}/registered-models/create`, { name, tags: [{ key: 'team', value: team }] })
      .expect(200);
    for (let i = 0; i < 2; i++) {
      await t
        .as()
        .post(`${M}/model-versions/create`, { name, source: `s3://bucket/${name}/${i}`, tags: [{ key: 'flavor', value: i ? 'onnx' : 'sklearn' }] })
        .expect(200);
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
    expect(versions((await t.as().get(`${M}/model-versions/search`, { filter: "version_number > 1 AND name LIKE 'churn%'", order_by: 'name' }).expect(200)).body)).toEqual([
      'churn-a/2',
      'churn-b/2',
    ]);
    expect(versions((await t.as().get(`${M}/model-versions/search`, { filter: "source_path = 's3://bucket/fraud/0'" }).expect(200)).body)).toEqual(['fraud/1']);
    expect(versions((await t.as().get(`${M}/model-versions/search`, { filter: "tags.flavor = 'onnx' AND name = 'churn-b'" }).expect(200)).body)).toEqual(['churn-b/2']);
  });

  describe("MLflow 3's prompts (registered models and versions tagged mlflow.prompt.is_prompt = 'true')", () => {
    const IS_PROMPT = '`mlflow.prompt.is_prompt`';
    beforeAll(async () => {
      const prompt = [{ key: 'mlflow.prompt.is_prompt', value: 'true' }];
      await t.as().post(`${M}/registered-models/create`, { name: 'churn-prompt', tags: prompt }).expect(200);
      await t.as().post(`${M}/model-versions/create`, { name: 'churn-prompt', source: 's3://bucket/churn-prompt/0', tags: prompt }).expect(200);
    });
    const models = async (filter?: string) =>
      modelNames(
        (
          await t
            .as()
            .get(`${M}/registered-models/search`, filter ? { filter } : {})
            .expect(200)
        ).body,
      );
    const modelVersions = async (filter: string) => versions((await t.as().get(`${M}/model-versions/search`, { filter, order_by: 'name' }).expect(200)).body).filter((v) => v.endsWith('/1'));

    it('answers the filter every MLflow 3 client adds, and leaves prompts out of searches that do not ask for them', async () => {
      expect(await models(`name = 'fraud' AND tag.${IS_PROMPT} != 'true'`)).toEqual(['fraud']);
      expect(await models(`tags.${IS_PROMPT} != 'true'`)).toEqual(['churn-a', 'churn-b', 'fraud']);
      expect(await models(`tags.${IS_PROMPT} = 'false' AND name LIKE 'churn%'`)).toEqual(['churn-a', 'churn-b']);
      expect(await models()).toEqual(['churn-a', 'churn-b', 'fraud']);
      expect(await modelVersions(`name LIKE 'churn%' AND tags.${IS_PROMPT} != 'true'`)).toEqual(['churn-a/1', 'churn-b/1']);
      expect(await modelVersions("name LIKE 'churn%'")).toEqual(['churn-a/1', 'churn-b/1']);
    });

    it('finds the prompts when asked for them', async () => {
      expect(await models(`tags.${IS_PROMPT} = 'true'`)).toEqual(['churn-prompt']);
      expect(await models(`tags.${IS_PROMPT} != 'false' AND name LIKE 'churn%'`)).toEqual(['churn-prompt']);
      expect(await modelVersions(`tags.${IS_PROMPT} = 'TRUE'`)).toEqual([]);
      expect(await modelVersions(`tags.${IS_PROMPT} = 'true'`)).toEqual(['churn-prompt/1']);
    });
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
