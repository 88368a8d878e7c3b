import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, grant, transition } from './registry-fixtures';

/**
 * registered-models/get answers from a cache kept fresh by the registry_changed notifications and by
 * this process's own writes. A change written with triggers off (`session_replication_role =
 * replica`) sends no notification: seeing it or not shows whether the answer came from the cache.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const getModel = async (name: string, user = 'admin') => (await t.as(user).get(`${API}/registered-models/get`, { name }).expect(200)).body.registered_model;

/** A change that no replica hears about (triggers off for this one transaction). */
const silently = (name: string, description: string) =>
  t.container.prisma.$transaction([
    t.container.prisma.$executeRaw`SET LOCAL session_replication_role = replica`,
    t.container.prisma.$executeRaw`UPDATE registered_models SET description = ${description} WHERE name = ${name}`,
  ]);

const TRIGGERS = ['registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags'];
async function triggers(action: 'ENABLE' | 'DISABLE'): Promise<void> {
  for (const table of TRIGGERS) await t.container.prisma.$executeRawUnsafe(`ALTER TABLE ${table} ${action} TRIGGER ${table}_changed`);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('the registered-model cache', () => {
  it('answers a repeated get from memory until a notified change, from any client, arrives', async () => {
    const name = await createModel(t.as(), undefined, { description: 'v1' });
    expect((await getModel(name)).description).toBe('v1');
    await silently(name, 'unannounced');
    expect((await getModel(name)).description).toBe('v1');
    // Another replica's write: a plain UPDATE fires the trigger, and the notification empties the cache.
    await t.container.prisma.$executeRaw`UPDATE registered_models SET description = 'from elsewhere' WHERE name = ${name}`;
    await until(async () => (await getModel(name)).description === 'from elsewhere', 'the notification is heard');
  });

  it("shows this process's own writes to the very next get, with no notification to help", async () => {
    const name = await createModel(t.as());
    const version = await createVersion(t.as(), name);
    // Triggers off: the API's own writes send nothing, so only the process's own bookkeeping keeps the cache true.
    await triggers('DISABLE');
    try {
      for (let i = 0; i < 20; i++) {
        await getModel(name);
        await t
          .as()
          .patch(`${API}/registered-models/update`, { name, description: `d${i}` })
          .expect(200);
        expect((await getModel(name)).description).toBe(`d${i}`);
      }
      await getModel(name);
      await transition(t.as(), name, version, 'Production').expect(200);
      expect((await getModel(name)).latest_versions.map((v: { current_stage: string }) => v.current_stage)).toEqual(['Production']);
      await t.as().post(`${API}/registered-models/set-tag`, { name, key: 'team', value: 'ml' }).expect(200);
      expect((await getModel(name)).tags).toEqual([{ key: 'team', value: 'ml' }]);
      await t.as().post(`${API}/registered-models/alias`, { name, alias: 'champion', version }).expect(200);
      expect((await getModel(name)).aliases).toEqual([{ alias: 'champion', version }]);
      await t.as().delete(`${API}/model-versions/delete`, { name, version }).expect(200);
      const after = await getModel(name);
      expect(after.latest_versions).toBeUndefined();
      expect(after.aliases).toBeUndefined();
      await t.as().delete(`${API}/registered-models/delete`, { name }).expect(200);
      await t.as().get(`${API}/registered-models/get`, { name }).expect(404);
    } finally {
      await triggers('ENABLE');
    }
  });

  it('never caches a permission decision, nor shows a USE caller more than its view', async () => {
    const name = await createModel(t.as());
    const staging = await createVersion(t.as(), name);
    const production = await createVersion(t.as(), name);
    await transition(t.as(), name, staging, 'Staging').expect(200);
    await transition(t.as(), name, production, 'Production').expect(200);
    await grant(t, name, 'frank', 'READ');
    await grant(t, name, 'grace', 'USE');
    await getModel(name); // the full view is now cached
    expect((await getModel(name, 'frank')).latest_versions).toHaveLength(2);
    expect((await getModel(name, 'grace')).latest_versions.map((v: { version: string }) => v.version)).toEqual([production]);
    // Grants have no trigger: the new grant must apply because the check is never cached.
    await grant(t, name, 'frank', 'NO_PERMISSIONS');
    await t.as('frank').get(`${API}/registered-models/get`, { name }).expect(403);
  });

  it('serves nothing from memory while the notifications are not heard, and resumes once they are', async () => {
    const name = await createModel(t.as(), undefined, { description: 'before' });
    await getModel(name);
    const feed = t.container.registryChanges!;
    expect(feed.live).toBe(true);
    await t.container.prisma.$queryRaw`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'registry registry_changed listener'`;
    await until(async () => !feed.live, 'the feed notices the lost connection');
    await silently(name, 'while deaf');
    expect((await getModel(name)).description).toBe('while deaf');
    await until(async () => feed.live, 'the feed listens again');
    await getModel(name);
    await silently(name, 'unannounced');
    expect((await getModel(name)).description).toBe('while deaf');
  });
});

describe('with REGISTERED_MODEL_CACHE_SIZE=0', () => {
  it('reads every get from PostgreSQL and keeps no LISTEN connection', async () => {
    const app = await startTestApp({ REGISTERED_MODEL_CACHE_SIZE: '0' });
    try {
      expect(app.container.registryChanges).toBeUndefined();
      const name = await createModel(app.as(), undefined, { description: 'one' });
      await app.as().get(`${API}/registered-models/get`, { name }).expect(200);
      await app.container.prisma.$executeRaw`UPDATE registered_models SET description = 'two' WHERE name = ${name}`;
      expect((await app.as().get(`${API}/registered-models/get`, { name }).expect(200)).body.registered_model.description).toBe('two');
    } finally {
      await app.close();
    }
  });
});
