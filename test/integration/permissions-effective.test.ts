import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, grant, transition } from './registry-fixtures';

const EFFECTIVE = '/api/2.0/registry/permissions/effective';

interface Operation {
  key: string;
  method: string;
  path: string;
  required_level: string;
  allowed: boolean;
}
const operations = (body: { effective_permission: { operations: Operation[] } }) => new Map(body.effective_permission.operations.map((o) => [o.key, o]));

describe('GET /api/2.0/registry/permissions/effective', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ DEFAULT_PERMISSION: 'NO_PERMISSIONS' });
  });
  afterAll(async () => {
    await t.close();
  });

  it("gives a group member the group's level on a model, and what it allows agrees with what the API does", async () => {
    const owner = t.as('owner');
    const name = await createModel(owner);
    const v = await createVersion(owner, name);
    await owner.post(`${API}/registered-models/permissions/create`, { name, group: 'stagers', permission: 'MANAGE_STAGING' }).expect(200);
    const member = t.as('mia', { groups: ['stagers'] });

    const res = await member.get(EFFECTIVE, { name }).expect(200);
    expect(res.body.effective_permission).toMatchObject({ resource_type: 'registered_model', name, user_id: 'mia', is_admin: false, permission_level: 'MANAGE_STAGING' });
    const ops = operations(res.body);
    expect(ops.get('model-versions.transition-stage')).toEqual({
      key: 'model-versions.transition-stage',
      method: 'POST',
      path: '/api/2.0/mlflow/model-versions/transition-stage',
      required_level: 'MANAGE_STAGING',
      allowed: true,
    });
    expect(ops.get('model-versions.transition-stage.production')).toMatchObject({ required_level: 'MANAGE_PRODUCTION', allowed: false });
    expect(ops.get('registered-models.delete')).toMatchObject({ required_level: 'MANAGE', allowed: false });
    expect(ops.get('registered-models.get')).toMatchObject({ allowed: true });
    // Only rules on registered models (and the artifacts they own): nothing about runs.
    expect([...ops.keys()].filter((k) => k.startsWith('runs.') || k.startsWith('experiments.'))).toEqual([]);

    // What it says is what the API does.
    await transition(member, name, v, 'Staging').expect(200);
    expect((await transition(member, name, v, 'Production').expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    expect((await member.delete(`${API}/registered-models/delete`, { name }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
  });

  it('answers the highest of a user grant and a group grant, and follows a grant change at once', async () => {
    const owner = t.as('owner');
    const name = await createModel(owner);
    await grant(t, name, 'rita', 'READ');
    await owner.post(`${API}/registered-models/permissions/create`, { name, group: 'prod', permission: 'MANAGE_PRODUCTION' }).expect(200);
    expect((await t.as('rita').get(EFFECTIVE, { name }).expect(200)).body.effective_permission.permission_level).toBe('READ');
    const inGroup = await t
      .as('rita', { groups: ['prod'] })
      .get(EFFECTIVE, { name })
      .expect(200);
    expect(inGroup.body.effective_permission.permission_level).toBe('MANAGE_PRODUCTION');
    expect(operations(inGroup.body).get('model-versions.transition-stage.production')?.allowed).toBe(true);
    await owner.patch(`${API}/registered-models/permissions/update`, { name, username: 'rita', permission: 'MANAGE' }).expect(200);
    const after = await t.as('rita').get(EFFECTIVE, { name }).expect(200);
    expect(after.body.effective_permission.permission_level).toBe('MANAGE');
    expect(operations(after.body).get('registered-models.delete')?.allowed).toBe(true);
  });

  it('tells a caller without a grant that they have NO_PERMISSIONS and may do nothing', async () => {
    const name = await createModel(t.as('owner'));
    const res = await t.as('stranger').get(EFFECTIVE, { name }).expect(200);
    expect(res.body.effective_permission.permission_level).toBe('NO_PERMISSIONS');
    expect(res.body.effective_permission.operations.filter((o: Operation) => o.allowed && o.required_level !== 'NO_PERMISSIONS')).toEqual([]);
  });

  it('gives the creator of an experiment MANAGE and an admin everything', async () => {
    const owner = t.as('erin');
    const id = (await owner.post(`${API}/experiments/create`, { name: `eff-${Date.now()}` }).expect(200)).body.experiment_id;
    const mine = await owner.get(EFFECTIVE, { experiment_id: id }).expect(200);
    expect(mine.body.effective_permission).toMatchObject({ resource_type: 'experiment', experiment_id: id, permission_level: 'MANAGE' });
    expect(operations(mine.body).get('runs.log-batch')?.allowed).toBe(true);
    // Spelled another way, the same experiment.
    expect((await owner.get(EFFECTIVE, { experiment_id: `00${id}` }).expect(200)).body.effective_permission.experiment_id).toBe(id);
    const admin = await t.as('root', { admin: true }).get(EFFECTIVE, { experiment_id: id }).expect(200);
    expect(admin.body.effective_permission).toMatchObject({ is_admin: true, permission_level: 'MANAGE' });
    expect(admin.body.effective_permission.operations.every((o: Operation) => o.allowed)).toBe(true);
  });

  it('answers 400 for neither or both resources and 404 for one that does not exist', async () => {
    const alice = t.as('alice');
    for (const query of [{}, { name: 'x', experiment_id: '1' }]) {
      const res = await alice.get(EFFECTIVE, query).expect(400);
      expect(res.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("exactly one of 'experiment_id' or 'name'") });
    }
    expect((await alice.get(EFFECTIVE, { name: 'no-such-model-anywhere' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await alice.get(EFFECTIVE, { experiment_id: '987654321' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});
