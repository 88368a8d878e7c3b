import { startTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
const E = '/api/2.0/mlflow/experiments';
beforeAll(async () => {
  t = await startTestApp();
  for (const [name, team] of [
    ['s-alpha', 'fraud'],
    ['s-beta', 'churn'],
    ['s-gamma', 'fraud'],
    ['other', 'fraud'],
  ] as const) {
    await t
      .as()
      .post(`${E}/create`, { name, tags: [{ key: 'team', value: team }] })
      .expect(200);
  }
});
afterAll(async () => {
  await t.close();
});

const names = (body: { experiments?: Array<{ name: string }> }) => (body.experiments ?? []).map((e) => e.name);

describe('experiments/search', () => {
  it('filters by name LIKE and tag, in the requested order, over POST and GET', async () => {
    const post = await t
      .as()
      .post(`${E}/search`, { filter: "name LIKE 's-%' AND tags.team = 'fraud'", order_by: ['name DESC'] })
      .expect(200);
    expect(names(post.body)).toEqual(['s-gamma', 's-alpha']);
    const get = await t.as().get(`${E}/search`, { filter: "name ILIKE 'S-%'", order_by: 'name ASC', max_results: '2' }).expect(200);
    expect(names(get.body)).toEqual(['s-alpha', 's-beta']);
    expect(get.body.next_page_token).toEqual(expect.any(String));
    const next = await t.as().get(`${E}/search`, { filter: "name ILIKE 'S-%'", order_by: 'name ASC', max_results: '2', page_token: get.body.next_page_token }).expect(200);
    expect(names(next.body)).toEqual(['s-gamma']);
    expect(next.body.next_page_token).toBeUndefined();
  });

  it('defaults to newest first and honours view_type', async () => {
    const res = await t.as().post(`${E}/search`, {}).expect(200);
    expect(names(res.body)[0]).toBe('other');
    expect(names(res.body)).toContain('Default');
    const { body } = await t.as().post(`${E}/create`, { name: 'gone' }).expect(200);
    await t.as().post(`${E}/delete`, { experiment_id: body.experiment_id }).expect(200);
    expect(names((await t.as().post(`${E}/search`, { view_type: 'DELETED_ONLY' })).body)).toEqual(['gone']);
    expect(names((await t.as().post(`${E}/search`, { view_type: 'ALL' })).body)).toContain('gone');
    expect(names((await t.as().post(`${E}/search`, {})).body)).not.toContain('gone');
  });

  it.each([
    [{ filter: 'name = ' }, 'expected a number or a quoted string'],
    [{ filter: 'metrics.x > 1' }, 'not searchable for experiments'],
    [{ filter: "name > 'a'" }, "Invalid comparator '>'"],
    [{ filter: "name = 'a' OR name = 'b'" }, 'OR is not supported'],
    [{ order_by: ['tags.team'] }, 'Invalid order_by key'],
    [{ max_results: 50001 }, 'max_results'],
    [{ max_results: 0 }, 'max_results'],
    [{ page_token: 'garbage!' }, 'page token'],
    [{ view_type: 'SOME' }, 'view_type'],
  ])('answers 400 INVALID_PARAMETER_VALUE to %j', async (body, message) => {
    const res = await t.as().post(`${E}/search`, body).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(message);
  });
});
