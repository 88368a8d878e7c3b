import { parse, value } from '../helpers/prometheus';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion } from './registry-fixtures';

/**
 * A registered-model row's finder reads the caller's grants in the model's own statement
 * (PermissionsService.grantsColumn), so checking a non-admin costs no statement beyond an admin's.
 * Statements are counted by the service's own histogram of hot-path statements.
 */
const METRICS_TOKEN = 'grant-check-metrics-token';
const GROUP = 'model-readers';
let off: TestApp;
let on: TestApp;
beforeAll(async () => {
  const env = { DEFAULT_PERMISSION: 'NO_PERMISSIONS', METRICS_TOKEN };
  [off, on] = await Promise.all([startTestApp({ ...env, REGISTERED_MODEL_CACHE_SIZE: '0' }), startTestApp(env)]);
});
afterAll(async () => {
  await Promise.all([off?.close(), on?.close()]);
});

const statementsSoFar = async (t: TestApp) =>
  value(parse((await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200)).text), 'registry_db_query_duration_seconds_count');

/** The statements `request` ran through the service's SQL executor, and its response. */
async function counted<R>(t: TestApp, request: () => PromiseLike<R>): Promise<{ statements: number; response: R }> {
  const before = await statementsSoFar(t);
  const response = await request();
  return { statements: (await statementsSoFar(t)) - before, response };
}

const member = (t: TestApp) => t.as('ulla', { groups: [GROUP] });
const outsider = (t: TestApp) => t.as('otto', { groups: ['someone-else'] });
const grantGroup = (t: TestApp, name: string, permission: string) => t.as().post(`${API}/registered-models/permissions/create`, { name, group: GROUP, permission }).expect(200);

describe('with the registered-model cache off', () => {
  it('answers a group member’s registered-models/get in one statement, the grants read with the model', async () => {
    const name = await createModel(off.as(), undefined, { description: 'seen' });
    await grantGroup(off, name, 'READ');
    const { statements, response } = await counted(off, () => member(off).get(`${API}/registered-models/get`, { name }).expect(200));
    expect(response.body.registered_model).toMatchObject({ name, description: 'seen' });
    expect(statements).toBe(1);
    const denied = await counted(off, () => outsider(off).get(`${API}/registered-models/get`, { name }).expect(403));
    expect(denied.response.body).toMatchObject({ error_code: 'PERMISSION_DENIED' });
    expect(denied.statements).toBe(1);
  });

  it('adds no statement for a non-admin on the rows that find a model by name, or a version', async () => {
    const name = await createModel(off.as());
    const version = await createVersion(off.as(), name);
    await grantGroup(off, name, 'READ');
    const rows = [
      (as: ReturnType<TestApp['as']>) => as.post(`${API}/registered-models/get-latest-versions`, { name }).expect(200),
      (as: ReturnType<TestApp['as']>) => as.get(`${API}/model-versions/get`, { name, version }).expect(200),
    ];
    for (const row of rows) {
      const admin = await counted(off, () => row(off.as()));
      const user = await counted(off, () => row(member(off)));
      expect(user.response.body).toEqual(admin.response.body);
      expect(user.statements).toBe(admin.statements);
    }
  });

  it('takes the highest of the user’s and its groups’ grants, on this resource type only, as they are now', async () => {
    const name = await createModel(off.as());
    const { id } = await off.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    // A grant on the experiment of the same id is no grant on the model.
    await off.container.prisma.permissionGrant.create({
      data: { resourceType: 'experiment', resourceId: String(id), principalType: 'user', principal: 'ulla', level: 'MANAGE', createdAt: 0n },
    });
    await member(off).get(`${API}/registered-models/get`, { name }).expect(403);
    await off.as().post(`${API}/registered-models/permissions/create`, { name, username: 'ulla', permission: 'READ' }).expect(200);
    await member(off).patch(`${API}/registered-models/update`, { name, description: 'by ulla' }).expect(403);
    await grantGroup(off, name, 'EDIT');
    await member(off).patch(`${API}/registered-models/update`, { name, description: 'by ulla' }).expect(200);
    expect((await member(off).get(`${API}/registered-models/get`, { name }).expect(200)).body.registered_model.description).toBe('by ulla');
    // Without the group the user's own READ is what is left.
    await off.as('ulla').patch(`${API}/registered-models/update`, { name, description: 'again' }).expect(403);
    await off.as('ulla').get(`${API}/registered-models/get`, { name }).expect(200);
    await off.as().delete(`${API}/registered-models/permissions/delete`, { name, username: 'ulla' }).expect(200);
    await off.as('ulla').get(`${API}/registered-models/get`, { name }).expect(403);
  });
});

describe('with the registered-model cache on', () => {
  it('reads the grants with the model on a miss, alone on a hit, and never keeps them', async () => {
    const name = await createModel(on.as());
    await grantGroup(on, name, 'READ');
    const miss = await counted(on, () => member(on).get(`${API}/registered-models/get`, { name }).expect(200));
    expect(miss.statements).toBe(1);
    const hit = await counted(on, () => member(on).get(`${API}/registered-models/get`, { name }).expect(200));
    expect(hit.statements).toBe(1);
    expect((await counted(on, () => on.as().get(`${API}/registered-models/get`, { name }).expect(200))).statements).toBe(0);
    await on.as().patch(`${API}/registered-models/permissions/update`, { name, group: GROUP, permission: 'NO_PERMISSIONS' }).expect(200);
    await member(on).get(`${API}/registered-models/get`, { name }).expect(403);
  });
});
