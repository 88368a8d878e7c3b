import { Client } from 'pg';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion } from './registry-fixtures';

describe('DATABASE_STATEMENT_TIMEOUT_MS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '300', REGISTERED_MODEL_CACHE_SIZE: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('applies to every connection of the pool', async () => {
    const rows = await t.container.prisma.$queryRaw<Array<{ statement_timeout: string }>>`SHOW statement_timeout`;
    expect(rows[0]!.statement_timeout).toBe('300ms');
  });

  it('ends a statement that waits too long with a 503 that says what happened, and the pool keeps serving', async () => {
    const api = t.as();
    const name = await createModel(api);
    const version = await createVersion(api, name);
    // Another session holds the model's row: the transition waits for it, and the timeout ends the wait.
    const holder = new Client({ connectionString: t.container.config.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM registered_models WHERE name = $1 FOR UPDATE', [name]);
      const started = Date.now();
      const res = await api.post(`${API}/model-versions/transition-stage`, { name, version, stage: 'Staging' });
      expect([res.status, res.body.error_code]).toEqual([503, 'TEMPORARILY_UNAVAILABLE']);
      expect(res.body.message).toMatch(/DATABASE_STATEMENT_TIMEOUT_MS|took too long|timeout/i);
      expect(Date.now() - started).toBeLessThan(30_000);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    const after = await api.post(`${API}/model-versions/transition-stage`, { name, version, stage: 'Staging' }).expect(200);
    expect(after.body.model_version.current_stage).toBe('Staging');
  });
});
