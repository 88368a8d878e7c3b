import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, getVersion, grant, transition } from './registry-fixtures';

// Promotion requests on stages (README "Promotion requests"): Databricks' transition-requests
// endpoints, the approval policy (REQUIRE_APPROVAL=Production here), four-eyes, and the closing of
// requests when a version moves or is deleted by other means.
const TR = `${API}/transition-requests`;
const R = '/api/2.0/registry';

describe('transition requests', () => {
  let t: TestApp;
  const admin = () => t.as('admin');
  beforeAll(async () => {
    // Pool room for the 30 concurrent approvals below, which meet on the model's row lock.
    t = await startTestApp({ REQUIRE_APPROVAL: 'Production', DEFAULT_PERMISSION: 'READ', DATABASE_POOL_SIZE: '40' });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A model of admin's with one version per entry, and the levels given to users. */
  async function setUp(versions = 1, levels: Record<string, string> = {}): Promise<{ name: string; versions: string[] }> {
    const name = await createModel(admin());
    const vs: string[] = [];
    for (let i = 0; i < versions; i++) vs.push(await createVersion(admin(), name));
    for (const [user, level] of Object.entries(levels)) await grant(t, name, user, level);
    return { name, versions: vs };
  }
  const requestsOf = async (name: string, version: string) => (await admin().get(`${TR}/list`, { name, version }).expect(200)).body.requests as Array<Record<string, unknown>>;
  const rows = async (name: string) => {
    const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    return t.container.prisma.transitionRequest.findMany({ where: { modelId: model.id }, orderBy: { id: 'asc' } });
  };
  const actions = async (name: string) => (await admin().get(`${R}/audit`, { name }).expect(200)).body.events.map((e: { action: string }) => e.action) as string[];

  it('lets a READ user file a request, in Databricks’ shape, and lists it as a REQUESTED_TRANSITION activity', async () => {
    const { name, versions } = await setUp(1);
    const res = await t.as('alice').post(`${TR}/create`, { name, version: versions[0], stage: 'production', comment: 'ready' }).expect(200);
    expect(res.body).toEqual({
      request: {
        id: expect.any(String),
        creation_timestamp: expect.any(Number),
        to_stage: 'Production',
        user_id: 'alice',
        comment: 'ready',
        available_actions: ['CANCEL_TRANSITION_REQUEST'],
      },
    });
    expect(await requestsOf(name, versions[0]!)).toEqual([
      expect.objectContaining({ activity_type: 'REQUESTED_TRANSITION', from_stage: 'None', to_stage: 'Production', user_id: 'alice', comment: 'ready' }),
    ]);
    // The admin (MANAGE) may approve, reject and cancel it.
    expect((await requestsOf(name, versions[0]!))[0]!.available_actions).toEqual(['APPROVE_TRANSITION_REQUEST', 'REJECT_TRANSITION_REQUEST', 'CANCEL_TRANSITION_REQUEST']);
    expect(await actions(name)).toContain('create_transition_request');
  });

  it('refuses a second open request by the same user for the same version and stage (400 RESOURCE_ALREADY_EXISTS), not by another user', async () => {
    const { name, versions } = await setUp(1);
    const body = { name, version: versions[0], stage: 'Production' };
    await t.as('alice').post(`${TR}/create`, body).expect(200);
    const again = await t.as('alice').post(`${TR}/create`, body).expect(400);
    expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    await t.as('bob').post(`${TR}/create`, body).expect(200);
    await t
      .as('alice')
      .post(`${TR}/create`, { ...body, stage: 'Staging' })
      .expect(200);
    expect((await rows(name)).map((r) => [r.userId, r.target, r.status])).toEqual([
      ['alice', 'Production', 'OPEN'],
      ['bob', 'Production', 'OPEN'],
      ['alice', 'Staging', 'OPEN'],
    ]);
  });

  it('refuses a request from a USE caller (403) and one for the stage the version is already in (400)', async () => {
    const { name, versions } = await setUp(1, { dave: 'USE' });
    expect((await t.as('dave').post(`${TR}/create`, { name, version: versions[0], stage: 'Production' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    expect((await t.as('alice').post(`${TR}/create`, { name, version: versions[0], stage: 'None' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await rows(name)).toEqual([]);
  });

  it('refuses a direct transition into a stage that needs approval, for all but admins, and says to file a request', async () => {
    const { name, versions } = await setUp(2, { bob: 'MANAGE', carol: 'MANAGE_STAGING' });
    const res = await transition(t.as('bob'), name, versions[0]!, 'Production').expect(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
    expect(res.body.message).toContain('transition-requests/create');
    expect((await getVersion(admin(), name, versions[0]!)).current_stage).toBe('None');
    // Staging needs no approval here; an admin may still move into Production directly.
    await transition(t.as('carol'), name, versions[0]!, 'Staging').expect(200);
    await transition(admin(), name, versions[1]!, 'Production').expect(200);
    expect((await getVersion(admin(), name, versions[1]!)).current_stage).toBe('Production');
  });

  it('approves with the level the move needs, applies it as transition-stage does and closes the request', async () => {
    const { name, versions } = await setUp(2, { bob: 'MANAGE_PRODUCTION', carol: 'MANAGE_STAGING' });
    const [v1, v2] = versions as [string, string];
    await transition(admin(), name, v1, 'Production').expect(200);
    await t.as('alice').post(`${TR}/create`, { name, version: v2, stage: 'Production', comment: 'please' }).expect(200);
    const body = { name, version: v2, stage: 'Production', archive_existing_versions: true, comment: 'ok' };
    expect((await t.as('carol').post(`${TR}/approve`, body).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    const res = await t.as('bob').post(`${TR}/approve`, body).expect(200);
    expect(res.body).toEqual({
      activity: {
        activity_type: 'APPROVED_REQUEST',
        from_stage: 'None',
        to_stage: 'Production',
        user_id: 'bob',
        comment: 'ok',
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
      },
    });
    expect((await getVersion(admin(), name, v2)).current_stage).toBe('Production');
    expect((await getVersion(admin(), name, v1)).current_stage).toBe('Archived');
    expect(await requestsOf(name, v2)).toEqual([]);
    expect((await rows(name)).map((r) => [r.status, r.closedBy, r.closeComment])).toEqual([['APPROVED', 'bob', 'ok']]);
    const events = (await admin().get(`${R}/audit`, { name }).expect(200)).body.events as Array<{ action: string; actor: string; after?: Record<string, unknown> }>;
    expect(events.slice(0, 3).map((e) => [e.action, e.actor])).toEqual([
      ['archive_existing_version', 'bob'],
      ['transition_stage', 'bob'],
      ['approve_transition_request', 'bob'],
    ]);
    expect(events[1]!.after).toMatchObject({ stage: 'Production', request_ids: [expect.any(String)] });
    expect(events[2]!.after).toMatchObject({ stage: 'Production', version: v2, creator: 'alice', request_comment: 'please', comment: 'ok', status: 'APPROVED' });
    // Nothing left to approve: 404.
    expect((await t.as('bob').post(`${TR}/approve`, body).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('does not let the requester approve their own request (four-eyes), whatever their level', async () => {
    const { name, versions } = await setUp(1, { bob: 'MANAGE_PRODUCTION', erin: 'MANAGE_PRODUCTION' });
    await t.as('bob').post(`${TR}/create`, { name, version: versions[0], stage: 'Production' }).expect(200);
    expect((await requestsOf(name, versions[0]!))[0]!.available_actions).toEqual(['APPROVE_TRANSITION_REQUEST', 'REJECT_TRANSITION_REQUEST', 'CANCEL_TRANSITION_REQUEST']);
    const own = await t.as('bob').post(`${TR}/approve`, { name, version: versions[0], stage: 'Production' }).expect(403);
    expect(own.body).toEqual({ error_code: 'PERMISSION_DENIED', message: expect.stringContaining('APPROVAL_SEPARATION') });
    expect((await getVersion(admin(), name, versions[0]!)).current_stage).toBe('None');
    await t.as('erin').post(`${TR}/approve`, { name, version: versions[0], stage: 'Production' }).expect(200);
    expect((await getVersion(admin(), name, versions[0]!)).current_stage).toBe('Production');
  });

  it('rejects with the level the move needs and leaves the version where it was', async () => {
    const { name, versions } = await setUp(1, { carol: 'MANAGE_STAGING', ed: 'EDIT' });
    await t.as('alice').post(`${TR}/create`, { name, version: versions[0], stage: 'Staging' }).expect(200);
    expect((await t.as('ed').post(`${TR}/reject`, { name, version: versions[0], stage: 'Staging' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    const res = await t.as('carol').post(`${TR}/reject`, { name, version: versions[0], stage: 'Staging', comment: 'not yet' }).expect(200);
    expect(res.body.activity).toMatchObject({ activity_type: 'REJECTED_REQUEST', to_stage: 'Staging', user_id: 'carol', comment: 'not yet' });
    expect((await getVersion(admin(), name, versions[0]!)).current_stage).toBe('None');
    expect((await rows(name)).map((r) => r.status)).toEqual(['REJECTED']);
    expect(await actions(name)).toContain('reject_transition_request');
  });

  it('lets only the requester or MANAGE withdraw a request (DELETE, query or body)', async () => {
    const { name, versions } = await setUp(1, { bob: 'MANAGE_PRODUCTION' });
    const v = versions[0]!;
    await t.as('alice').post(`${TR}/create`, { name, version: v, stage: 'Production' }).expect(200);
    await t.as('carol').post(`${TR}/create`, { name, version: v, stage: 'Production' }).expect(200);
    const byBob = await t.as('bob').delete(`${TR}/delete`, { name, version: v, stage: 'Production', creator: 'alice' }).expect(403);
    expect(byBob.body.error_code).toBe('PERMISSION_DENIED');
    // Nobody's own request under that name: 404.
    expect((await t.as('bob').delete(`${TR}/delete`, { name, version: v, stage: 'Production' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const own = await t.as('alice').delete(`${TR}/delete?name=${name}&version=${v}&stage=Production&comment=changed%20my%20mind`).expect(200);
    expect(own.body.activity).toMatchObject({ activity_type: 'CANCELLED_REQUEST', to_stage: 'Production', user_id: 'alice', comment: 'changed my mind' });
    await admin().delete(`${TR}/delete`, { name, version: v, stage: 'Production', creator: 'carol' }).expect(200);
    expect((await rows(name)).map((r) => [r.userId, r.status, r.closedBy])).toEqual([
      ['alice', 'WITHDRAWN', 'alice'],
      ['carol', 'WITHDRAWN', 'admin'],
    ]);
    expect((await actions(name)).filter((a) => a === 'delete_transition_request')).toHaveLength(2);
  });

  it('closes the open stage requests of a version that moves by other means, archived ones included', async () => {
    const { name, versions } = await setUp(2);
    const [v1, v2] = versions as [string, string];
    await transition(admin(), name, v1, 'Staging').expect(200);
    await t.as('alice').post(`${TR}/create`, { name, version: v1, stage: 'Production' }).expect(200);
    await t.as('alice').post(`${TR}/create`, { name, version: v2, stage: 'Production' }).expect(200);
    // v2 moves to Staging with archive_existing_versions: v2 by the move, v1 by the archiving.
    await transition(admin(), name, v2, 'Staging', true).expect(200);
    expect(await requestsOf(name, v1)).toEqual([]);
    expect(await requestsOf(name, v2)).toEqual([]);
    expect((await rows(name)).map((r) => [r.version, r.status, r.closedBy])).toEqual([
      [Number(v1), 'CLOSED', 'admin'],
      [Number(v2), 'CLOSED', 'admin'],
    ]);
    const closes = (await admin().get(`${R}/audit`, { name }).expect(200)).body.events.filter((e: { action: string }) => e.action === 'close_transition_request');
    expect(closes.map((e: { after: { reason: string } }) => e.after.reason).sort()).toEqual([
      `version ${v1} moved to Archived by other means`,
      `version ${v2} moved to Staging by other means`,
    ]);
  });

  it('closes the open requests of a deleted version', async () => {
    const { name, versions } = await setUp(1);
    await t.as('alice').post(`${TR}/create`, { name, version: versions[0], stage: 'Production' }).expect(200);
    await admin().delete(`${API}/model-versions/delete`, { name, version: versions[0] }).expect(200);
    expect((await rows(name)).map((r) => r.status)).toEqual(['CLOSED']);
    expect(await actions(name)).toContain('close_transition_request');
  });

  it('applies 30 concurrent approvals of different versions into Production atomically: exactly one Production version', async () => {
    const n = 30;
    const { name, versions } = await setUp(n, { bob: 'MANAGE_PRODUCTION' });
    await Promise.all(versions.map((v) => t.as('alice').post(`${TR}/create`, { name, version: v, stage: 'Production' }).expect(200)));
    const results = await Promise.all(versions.map((v) => t.as('bob').post(`${TR}/approve`, { name, version: v, stage: 'Production', archive_existing_versions: true })));
    expect(results.map((r) => r.status)).toEqual(versions.map(() => 200));
    const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    const stages = await t.container.prisma.modelVersion.groupBy({ by: ['currentStage'], where: { modelId: model.id }, _count: true });
    expect(Object.fromEntries(stages.map((s) => [s.currentStage, s._count]))).toEqual({ Production: 1, Archived: n - 1 });
    expect(new Set((await rows(name)).map((r) => r.status))).toEqual(new Set(['APPROVED']));
  }, 60_000);

  it('lets MANAGE add stages to a model’s policy on top of REQUIRE_APPROVAL, and only MANAGE', async () => {
    const { name, versions } = await setUp(1, { carol: 'MANAGE_PRODUCTION' });
    const P = `${R}/registered-models/approval-policy`;
    expect((await t.as('alice').get(P, { name }).expect(200)).body).toEqual({ name, require_approval: [], server_default: ['Production'], effective: ['Production'] });
    expect(
      (
        await t
          .as('carol')
          .post(P, { name, require_approval: ['Staging'] })
          .expect(403)
      ).body.error_code,
    ).toBe('PERMISSION_DENIED');
    expect(
      (
        await admin()
          .post(P, { name, require_approval: ['Sometimes'] })
          .expect(400)
      ).body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
    const set = await admin()
      .post(P, { name, require_approval: ['staging'] })
      .expect(200);
    expect(set.body).toEqual({ name, require_approval: ['Staging'], server_default: ['Production'], effective: ['Staging', 'Production'] });
    expect((await transition(t.as('carol'), name, versions[0]!, 'Staging').expect(403)).body.message).toContain('transition-requests/create');
    // Dropping the model's own policy cannot drop the server's.
    expect((await admin().post(P, { name, require_approval: [] }).expect(200)).body.effective).toEqual(['Production']);
    await transition(t.as('carol'), name, versions[0]!, 'Staging').expect(200);
    expect(await actions(name)).toContain('set_approval_policy');
  });
});
