import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, grant } from './registry-fixtures';

interface Named {
  name: string;
  version?: string;
}

describe('search-registered-models and search-model-versions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const alice = t.as('alice');
    for (const name of ['s-charlie', 's-alpha', 's-bravo', 's-delta']) {
      await createModel(alice, name);
      await createVersion(alice, name);
      await createVersion(alice, name);
    }
    await alice.delete(`${API}/model-versions/delete`, { name: 's-alpha', version: '2' }).expect(200);
    await grant(t, 's-delta', 'bob', 'NO_PERMISSIONS');
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists models by name with latest_versions, in pages', async () => {
    const first = await t.as('alice').get(`${API}/registered-models/search`, { max_results: 3 }).expect(200);
    expect(first.body.registered_models.map((m: Named) => m.name)).toEqual(['s-alpha', 's-bravo', 's-charlie']);
    expect(first.body.registered_models[0].latest_versions).toEqual([expect.objectContaining({ version: '1', current_stage: 'None' })]);
    expect(first.body.next_page_token).toEqual(expect.any(String));
    const second = await t.as('alice').get(`${API}/registered-models/search`, { max_results: 3, page_token: first.body.next_page_token }).expect(200);
    expect(second.body.registered_models.map((m: Named) => m.name)).toEqual(['s-delta']);
    expect(second.body.next_page_token).toBeUndefined();
  });

  it('leaves out models the caller may not see, in the query (full pages)', async () => {
    const res = await t.as('bob').get(`${API}/registered-models/search`, { max_results: 3 }).expect(200);
    expect(res.body.registered_models.map((m: Named) => m.name)).toEqual(['s-alpha', 's-bravo', 's-charlie']);
    expect(res.body.next_page_token).toBeUndefined();
    const versions = await t.as('bob').get(`${API}/model-versions/search`).expect(200);
    expect(versions.body.model_versions.some((v: Named) => v.name === 's-delta')).toBe(false);
  });

  it('answers 400 for max_results out of range and for a bad page token', async () => {
    for (const query of [{ max_results: 1001 }, { max_results: 0 }, { max_results: 'x' }, { page_token: 'not-a-token' }]) {
      const res = await t.as('alice').get(`${API}/registered-models/search`, query).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    const res = await t.as('alice').get(`${API}/model-versions/search`, { max_results: 200_001 }).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('lists live versions only, never deleted ones', async () => {
    const res = await t.as('alice').get(`${API}/model-versions/search`).expect(200);
    const keys = res.body.model_versions.map((v: Named) => `${v.name}/${v.version}`).sort();
    expect(keys).toEqual(['s-alpha/1', 's-bravo/1', 's-bravo/2', 's-charlie/1', 's-charlie/2', 's-delta/1', 's-delta/2']);
  });

  it('answers {} when nothing matches', async () => {
    const other = await startTestApp();
    try {
      expect((await other.as('zed').get(`${API}/registered-models/search`).expect(200)).body).toEqual({});
      expect((await other.as('zed').get(`${API}/model-versions/search`).expect(200)).body).toEqual({});
    } finally {
      await other.close();
    }
  });

  it('with DEFAULT_PERMISSION=NO_PERMISSIONS shows only models granted to the caller', async () => {
    const strict = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
    try {
      const alice = strict.as('alice');
      await createModel(alice, 'mine-1');
      await createModel(strict.as('carol'), 'theirs-1');
      const res = await alice.get(`${API}/registered-models/search`).expect(200);
      expect(res.body.registered_models.map((m: Named) => m.name)).toEqual(['mine-1']);
      expect((await alice.get(`${API}/registered-models/get`, { name: 'theirs-1' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    } finally {
      await strict.close();
    }
  });
});
