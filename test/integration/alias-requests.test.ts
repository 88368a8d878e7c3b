import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, grant } from './registry-fixtures';

// Requests to point a protected alias at a version (README "Promotion requests"), with
// REQUIRE_APPROVAL=aliases and APPROVAL_SEPARATION=false (so an approver may approve their own).
const AR = `${API}/alias-requests`;
const R = '/api/2.0/registry';

describe('alias requests', () => {
  let t: TestApp;
  const admin = () => t.as('admin');
  beforeAll(async () => {
    t = await startTestApp({ REQUIRE_APPROVAL: 'aliases', APPROVAL_SEPARATION: 'false', PROTECTED_ALIASES: 'production,champion' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function setUp(levels: Record<string, string> = {}): Promise<{ name: string; v1: string; v2: string }> {
    const name = await createModel(admin());
    const v1 = await createVersion(admin(), name);
    const v2 = await createVersion(admin(), name);
    for (const [user, level] of Object.entries(levels)) await grant(t, name, user, level);
    return { name, v1, v2 };
  }
  const aliasOf = async (name: string, alias: string) => {
    const res = await admin().get(`${API}/registered-models/alias`, { name, alias });
    return res.status === 200 ? (res.body.model_version.version as string) : undefined;
  };
  const statuses = async (name: string) => {
    const model = await t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } });
    return (await t.container.prisma.transitionRequest.findMany({ where: { modelId: model.id }, orderBy: { id: 'asc' } })).map((r) => [r.target, r.version, r.status]);
  };

  it('refuses setting a protected alias directly for all but admins, and ordinary aliases stay direct', async () => {
    const { name, v1 } = await setUp({ bob: 'MANAGE' });
    const res = await t.as('bob').post(`${API}/registered-models/alias`, { name, alias: 'production', version: v1 }).expect(403);
    expect(res.body.message).toContain('alias-requests/create');
    expect(await aliasOf(name, 'production')).toBeUndefined();
    await t.as('bob').post(`${API}/registered-models/alias`, { name, alias: 'candidate', version: v1 }).expect(200);
    await admin().post(`${API}/registered-models/alias`, { name, alias: 'champion', version: v1 }).expect(200);
    expect(await aliasOf(name, 'champion')).toBe(v1);
  });

  it('files a request (READ), lists it, refuses a duplicate and an alias that is not protected', async () => {
    const { name, v1 } = await setUp();
    const res = await t.as('alice').post(`${AR}/create`, { name, version: v1, alias: 'production', comment: 'ship it' }).expect(200);
    expect(res.body).toEqual({
      request: {
        id: expect.any(String),
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        alias: 'production',
        version: v1,
        user_id: 'alice',
        comment: 'ship it',
        available_actions: ['CANCEL_TRANSITION_REQUEST'],
      },
    });
    expect((await t.as('alice').post(`${AR}/create`, { name, version: v1, alias: 'production' }).expect(400)).body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    expect((await t.as('alice').post(`${AR}/create`, { name, version: v1, alias: 'candidate' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const list = await admin().get(`${AR}/list`, { name, version: v1 }).expect(200);
    expect(list.body.requests).toEqual([expect.objectContaining({ alias: 'production', user_id: 'alice' })]);
  });

  it('approves with MANAGE_PRODUCTION only, moving the alias as registered-models/alias does (own requests allowed without separation)', async () => {
    const { name, v1, v2 } = await setUp({ carol: 'MANAGE_STAGING', bob: 'MANAGE_PRODUCTION' });
    await admin().post(`${API}/registered-models/alias`, { name, alias: 'production', version: v1 }).expect(200);
    await t.as('bob').post(`${AR}/create`, { name, version: v2, alias: 'production' }).expect(200);
    expect((await t.as('carol').post(`${AR}/approve`, { name, version: v2, alias: 'production' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    const res = await t.as('bob').post(`${AR}/approve`, { name, version: v2, alias: 'production', comment: 'go' }).expect(200);
    expect(res.body.activity).toMatchObject({ activity_type: 'APPROVED_REQUEST', alias: 'production', version: v2, user_id: 'bob', comment: 'go' });
    expect(await aliasOf(name, 'production')).toBe(v2);
    expect(await statuses(name)).toEqual([['production', Number(v2), 'APPROVED']]);
    const events = (await admin().get(`${R}/audit`, { name }).expect(200)).body.events as Array<{ action: string; before?: unknown; after?: Record<string, unknown> }>;
    expect(events[0]).toMatchObject({ action: 'set_alias', before: { alias: 'production', version: v1 }, after: { alias: 'production', version: v2, request_ids: [expect.any(String)] } });
    expect(events[1]).toMatchObject({ action: 'approve_alias_request', after: { alias: 'production', version: v2, creator: 'bob' } });
  });

  it('rejects and withdraws like transition requests', async () => {
    const { name, v1, v2 } = await setUp({ bob: 'MANAGE_PRODUCTION' });
    await t.as('alice').post(`${AR}/create`, { name, version: v1, alias: 'champion' }).expect(200);
    await t.as('alice').post(`${AR}/create`, { name, version: v2, alias: 'champion' }).expect(200);
    expect((await t.as('bob').post(`${AR}/reject`, { name, version: v1, alias: 'champion' }).expect(200)).body.activity).toMatchObject({ activity_type: 'REJECTED_REQUEST' });
    expect((await t.as('bob').delete(`${AR}/delete`, { name, version: v2, alias: 'champion', creator: 'alice' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    expect((await t.as('alice').delete(`${AR}/delete`, { name, version: v2, alias: 'champion' }).expect(200)).body.activity).toMatchObject({ activity_type: 'CANCELLED_REQUEST' });
    expect(await statuses(name)).toEqual([
      ['champion', Number(v1), 'REJECTED'],
      ['champion', Number(v2), 'WITHDRAWN'],
    ]);
    expect(await aliasOf(name, 'champion')).toBeUndefined();
  });

  it('closes a request once the alias is set to that version by other means, and all requests of a deleted version', async () => {
    const { name, v1, v2 } = await setUp();
    await t.as('alice').post(`${AR}/create`, { name, version: v1, alias: 'production' }).expect(200);
    await t.as('alice').post(`${AR}/create`, { name, version: v2, alias: 'champion' }).expect(200);
    await admin().post(`${API}/registered-models/alias`, { name, alias: 'production', version: v1 }).expect(200);
    await admin().delete(`${API}/model-versions/delete`, { name, version: v2 }).expect(200);
    expect(await statuses(name)).toEqual([
      ['production', Number(v1), 'CLOSED'],
      ['champion', Number(v2), 'CLOSED'],
    ]);
    const closes = (await admin().get(`${R}/audit`, { name }).expect(200)).body.events.filter((e: { action: string }) => e.action === 'close_alias_request');
    expect(closes).toHaveLength(2);
  });
});
