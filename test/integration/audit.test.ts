import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, createRun, grant, transition, uniqueName } from './registry-fixtures';

const AUDIT = '/api/2.0/registry/audit';

interface ApiEvent {
  timestamp: number;
  actor: string;
  action: string;
  name?: string;
  version?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

const brief = (e: ApiEvent) => [e.action, e.name, e.version ?? null, e.before ?? null, e.after ?? null];

describe('audit trail of the registry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function story(): Promise<{ name: string; renamed: string }> {
    const alice = t.as('alice');
    const name = await createModel(alice);
    await createVersion(alice, name);
    await createVersion(alice, name);
    await transition(alice, name, '1', 'Staging').expect(200);
    await transition(alice, name, '1', 'Production').expect(200);
    await transition(alice, name, '2', 'Production', true).expect(200);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'champion', version: '2' }).expect(200);
    const renamed = uniqueName('renamed');
    await alice.post(`${API}/registered-models/rename`, { name, new_name: renamed }).expect(200);
    await alice.delete(`${API}/model-versions/delete`, { name: renamed, version: '1' }).expect(200);
    return { name, renamed };
  }

  it('tells the whole story of a model, newest first, across a rename', async () => {
    const { name, renamed } = await story();
    const res = await t.as('alice').get(AUDIT, { name: renamed }).expect(200);
    expect(res.body.next_page_token).toBeUndefined();
    const events: ApiEvent[] = res.body.events;
    expect(events.every((e) => e.actor === 'alice' && typeof e.timestamp === 'number')).toBe(true);
    expect(events.map(brief).reverse()).toEqual([
      ['create_registered_model', name, null, null, { name }],
      ['create_model_version', name, '1', null, { stage: 'None', source: 's3://bucket/models/m' }],
      ['create_model_version', name, '2', null, { stage: 'None', source: 's3://bucket/models/m' }],
      ['transition_stage', name, '1', { stage: 'None' }, { stage: 'Staging' }],
      ['transition_stage', name, '1', { stage: 'Staging' }, { stage: 'Production' }],
      ['transition_stage', name, '2', { stage: 'None' }, { stage: 'Production' }],
      ['archive_existing_version', name, '1', { stage: 'Production' }, { stage: 'Archived', archived_by_version: '2' }],
      ['set_alias', name, '2', null, { alias: 'champion', version: '2' }],
      ['rename_registered_model', renamed, null, { name }, { name: renamed }],
      ['delete_model_version', renamed, '1', { stage: 'Archived' }, null],
    ]);
  });

  it('filters by version and pages with max_results and page_token', async () => {
    const { renamed } = await story();
    const v1 = await t.as('alice').get(AUDIT, { name: renamed, version: '1' }).expect(200);
    expect(v1.body.events.map((e: ApiEvent) => e.action)).toEqual(['delete_model_version', 'archive_existing_version', 'transition_stage', 'transition_stage', 'create_model_version']);
    const all: ApiEvent[] = [];
    let token: string | undefined;
    do {
      const page = await t
        .as('alice')
        .get(AUDIT, { name: renamed, max_results: 3, ...(token ? { page_token: token } : {}) })
        .expect(200);
      expect(page.body.events.length).toBeLessThanOrEqual(3);
      all.push(...page.body.events);
      token = page.body.next_page_token;
    } while (token);
    expect(all).toHaveLength(10);
    const bad = await t.as('alice').get(AUDIT, { name: renamed, page_token: '!!' }).expect(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('records alias moves and deletes, description changes and model deletion with before and after', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    await createVersion(alice, name);
    await createVersion(alice, name);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'champion', version: '1' }).expect(200);
    await alice.post(`${API}/registered-models/alias`, { name, alias: 'champion', version: '2' }).expect(200);
    await alice.delete(`${API}/registered-models/alias`, { name, alias: 'champion' }).expect(200);
    await alice.patch(`${API}/registered-models/update`, { name, description: 'd1' }).expect(200);
    await alice.patch(`${API}/model-versions/update`, { name, version: '2', description: 'v2 text' }).expect(200);
    const live = (await alice.get(AUDIT, { name }).expect(200)).body.events.map(brief);
    expect(live.slice(0, 5)).toEqual([
      ['update_description', name, '2', { description: null }, { description: 'v2 text' }],
      ['update_description', name, null, { description: null }, { description: 'd1' }],
      ['delete_alias', name, '2', { alias: 'champion', version: '2' }, null],
      ['set_alias', name, '2', { alias: 'champion', version: '1' }, { alias: 'champion', version: '2' }],
      ['set_alias', name, '1', null, { alias: 'champion', version: '1' }],
    ]);

    await alice.delete(`${API}/registered-models/delete`, { name }).expect(200);
    // The model is gone: only admins may read its trail, which survived the delete.
    const denied = await alice.get(AUDIT, { name }).expect(403);
    expect(denied.body.error_code).toBe('PERMISSION_DENIED');
    const kept = await t.as().get(AUDIT, { name }).expect(200);
    expect(kept.body.events.map(brief)[0]).toEqual(['delete_registered_model', name, null, { name }, null]);
    expect(kept.body.events).toHaveLength(live.length + 1);
  });

  it("keeps a deleted model's trail under the name it was deleted with, including events before a rename", async () => {
    const { renamed } = await story();
    await t.as('alice').delete(`${API}/registered-models/delete`, { name: renamed }).expect(200);
    const res = await t.as().get(AUDIT, { name: renamed }).expect(200);
    expect(res.body.events).toHaveLength(11);
  });

  it('needs READ on the model; the default READ suffices, NO_PERMISSIONS is refused', async () => {
    const name = await createModel(t.as('alice'));
    await t.as('bob').get(AUDIT, { name }).expect(200);
    await grant(t, name, 'dave', 'NO_PERMISSIONS');
    expect((await t.as('dave').get(AUDIT, { name }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    await grant(t, name, 'erin', 'USE');
    expect((await t.as('erin').get(AUDIT, { name }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });

  it('answers 400 without exactly one of name and experiment_id, and serves the ajax prefix', async () => {
    expect((await t.as('alice').get(AUDIT).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.as('alice').get(AUDIT, { name: 'x', experiment_id: '1' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const name = await createModel(t.as('alice'));
    const res = await t.as('alice').get('/ajax-api/2.0/registry/audit', { name }).expect(200);
    expect(res.body.events).toHaveLength(1);
  });

  it("lists an experiment's events to callers with READ on it", async () => {
    const run = await createRun(t, 'alice');
    await t.container.audit.record({ subject: 'alice', groups: [], isAdmin: false }, [{ action: 'delete_experiment', resourceType: 'experiment', experimentId: BigInt(run.experimentId) }]);
    const res = await t.as('alice').get(AUDIT, { experiment_id: run.experimentId }).expect(200);
    expect(res.body.events).toEqual([expect.objectContaining({ action: 'delete_experiment', experiment_id: run.experimentId })]);
    await t.container.prisma.permissionGrant.create({
      data: { resourceType: 'experiment', resourceId: run.experimentId, principalType: 'user', principal: 'dave', level: 'NO_PERMISSIONS', createdAt: 0n },
    });
    expect((await t.as('dave').get(AUDIT, { experiment_id: run.experimentId }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });

  it('requires authentication', async () => {
    await t.http.get(AUDIT).query({ name: 'x' }).expect(401);
  });
  it('keeps a description update and its audit entry together: when the entry cannot be written, the description is unchanged', async () => {
    const alice = t.as('alice');
    const name = await createModel(alice);
    await alice.patch(`${API}/registered-models/update`, { name, description: 'kept' }).expect(200);
    // The database refuses this model's next audit entry, after the UPDATE of the same transaction ran.
    const prisma = t.container.prisma;
    await prisma.$executeRawUnsafe(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW WHEN (NEW.model_name = '${name}') EXECUTE FUNCTION refuse_audit()`);
    try {
      const res = await alice.patch(`${API}/registered-models/update`, { name, description: 'lost' });
      expect([res.status, res.body.error_code]).toEqual([500, 'INTERNAL_ERROR']);
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER refuse_audit ON audit_events');
      await prisma.$executeRawUnsafe('DROP FUNCTION refuse_audit()');
    }
    const got = await alice.get(`${API}/registered-models/get`, { name }).expect(200);
    expect(got.body.registered_model.description).toBe('kept');
    const events = (await alice.get(AUDIT, { name }).expect(200)).body.events as ApiEvent[];
    expect(events.filter((e) => e.action === 'update_description').map(brief)).toEqual([['update_description', name, null, { description: null }, { description: 'kept' }]]);
    // The connection that failed went back to the pool in a usable state.
    await alice.patch(`${API}/registered-models/update`, { name, description: 'after' }).expect(200);
  });
});
