import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, grant, transition } from './registry-fixtures';

// Comments on model versions (Databricks' comments endpoints) and a version's activity feed
// (GET /api/2.0/registry/model-versions/activity), README "Promotion requests".
const C = `${API}/comments`;
const FEED = '/api/2.0/registry/model-versions/activity';

describe('comments and the activity feed', () => {
  let t: TestApp;
  const admin = () => t.as('admin');
  beforeAll(async () => {
    t = await startTestApp({ DEFAULT_PERMISSION: 'READ' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function setUp(levels: Record<string, string> = {}): Promise<{ name: string; v: string }> {
    const name = await createModel(admin());
    const v = await createVersion(admin(), name);
    for (const [user, level] of Object.entries(levels)) await grant(t, name, user, level);
    return { name, v };
  }
  const commentsOf = async (name: string, v: string) => (await admin().get(`${C}/list`, { name, version: v }).expect(200)).body.comments as Array<Record<string, unknown>>;

  it('lets a READ user comment, in Databricks’ CommentObject shape, and lists comments oldest first', async () => {
    const { name, v } = await setUp();
    const res = await t.as('alice').post(`${C}/create`, { name, version: v, comment: 'looks good' }).expect(200);
    expect(res.body).toEqual({
      comment: {
        id: expect.stringMatching(/^\d+$/),
        user_id: 'alice',
        comment: 'looks good',
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        available_actions: ['EDIT_COMMENT', 'DELETE_COMMENT'],
      },
    });
    await t.as('bob').post(`${C}/create`, { name, version: v, comment: 'agreed' }).expect(200);
    expect((await commentsOf(name, v)).map((c) => [c.user_id, c.comment])).toEqual([
      ['alice', 'looks good'],
      ['bob', 'agreed'],
    ]);
    // What alice may do to each: her own only.
    const asAlice = (await t.as('alice').get(`${C}/list`, { name, version: v }).expect(200)).body.comments;
    expect(asAlice.map((c: { available_actions: string[] }) => c.available_actions)).toEqual([['EDIT_COMMENT', 'DELETE_COMMENT'], []]);
  });

  it('refuses USE callers, empty and over-long comments, and comments on a missing version', async () => {
    const { name, v } = await setUp({ dave: 'USE' });
    expect((await t.as('dave').post(`${C}/create`, { name, version: v, comment: 'x' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    expect((await t.as('alice').post(`${C}/create`, { name, version: v, comment: '' }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(
      (
        await t
          .as('alice')
          .post(`${C}/create`, { name, version: v, comment: 'x'.repeat(5001) })
          .expect(400)
      ).body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
    expect((await t.as('alice').post(`${C}/create`, { name, version: '99', comment: 'x' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await commentsOf(name, v)).toEqual([]);
  });

  it('lets only the author or MANAGE edit and delete a comment', async () => {
    const { name, v } = await setUp({ bob: 'MANAGE_PRODUCTION' });
    const id = (await t.as('alice').post(`${C}/create`, { name, version: v, comment: 'first' }).expect(200)).body.comment.id as string;
    expect((await t.as('bob').patch(`${C}/update`, { id, comment: 'hijacked' }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    expect((await t.as('bob').delete(`${C}/delete`, { id }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    const edited = await t.as('alice').patch(`${C}/update`, { id, comment: 'second' }).expect(200);
    expect(edited.body.comment).toMatchObject({ id, user_id: 'alice', comment: 'second' });
    expect((await commentsOf(name, v)).map((c) => c.comment)).toEqual(['second']);
    await admin().patch(`${C}/update`, { id, comment: 'moderated' }).expect(200);
    await t.as('alice').delete(`${C}/delete?id=${id}`).expect(200);
    expect(await commentsOf(name, v)).toEqual([]);
    expect((await t.as('alice').delete(`${C}/delete`, { id }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.as('alice').patch(`${C}/update`, { id: 'abc', comment: 'x' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('records every comment change in the audit trail with what a receiver needs', async () => {
    const { name, v } = await setUp();
    const id = (await t.as('alice').post(`${C}/create`, { name, version: v, comment: 'a' }).expect(200)).body.comment.id as string;
    await t.as('alice').patch(`${C}/update`, { id, comment: 'b' }).expect(200);
    await t.as('alice').delete(`${C}/delete`, { id }).expect(200);
    const events = (await admin().get('/api/2.0/registry/audit', { name, version: v }).expect(200)).body.events;
    expect(events.slice(0, 3)).toEqual([
      expect.objectContaining({ action: 'delete_comment', actor: 'alice', version: v, before: { comment_id: id, creator: 'alice', comment: 'b' } }),
      expect.objectContaining({ action: 'update_comment', before: { comment_id: id, comment: 'a' }, after: { comment_id: id, creator: 'alice', comment: 'b' } }),
      expect.objectContaining({ action: 'create_comment', after: { comment_id: id, creator: 'alice', comment: 'a' } }),
    ]);
  });

  it('serves a version’s activity newest first, a page at a time, to READ and not USE', async () => {
    const { name, v } = await setUp({ dave: 'USE' });
    const v2 = await createVersion(admin(), name);
    await t.as('alice').post(`${API}/transition-requests/create`, { name, version: v, stage: 'Staging', comment: 'try it' }).expect(200);
    await admin().post(`${API}/transition-requests/approve`, { name, version: v, stage: 'Staging', comment: 'ok' }).expect(200);
    await t.as('alice').post(`${C}/create`, { name, version: v, comment: 'thanks' }).expect(200);
    await admin().post(`${API}/registered-models/alias`, { name, alias: 'candidate', version: v }).expect(200);
    await transition(admin(), name, v2, 'Staging', true).expect(200);
    const page1 = await t.as('alice').get(FEED, { name, version: v, max_results: 4 }).expect(200);
    expect(page1.body.activities.map((a: { action: string }) => a.action)).toEqual(['archive_existing_version', 'set_alias', 'create_comment', 'transition_stage']);
    const [archived, alias, comment, moved] = page1.body.activities;
    expect(archived).toMatchObject({
      activity_type: 'SYSTEM_TRANSITION',
      from_stage: 'Staging',
      to_stage: 'Archived',
      user_id: 'admin',
      system_comment: `Archived when version ${v2} moved to Staging`,
    });
    expect(alias).toMatchObject({ alias: 'candidate', user_id: 'admin' });
    expect(comment).toMatchObject({ activity_type: 'NEW_COMMENT', comment: 'thanks', user_id: 'alice', comment_id: expect.any(String) });
    expect(moved).toMatchObject({ activity_type: 'APPLIED_TRANSITION', from_stage: 'None', to_stage: 'Staging', id: expect.any(String), creation_timestamp: expect.any(Number) });
    const page2 = await t.as('alice').get(FEED, { name, version: v, max_results: 4, page_token: page1.body.next_page_token }).expect(200);
    expect(page2.body.activities.map((a: { action: string; activity_type?: string }) => [a.action, a.activity_type])).toEqual([
      ['approve_transition_request', 'APPROVED_REQUEST'],
      ['create_transition_request', 'REQUESTED_TRANSITION'],
      ['create_model_version', undefined],
    ]);
    expect(page2.body.activities[0]).toMatchObject({ comment: 'ok', user_id: 'admin' });
    expect(page2.body.activities[1]).toMatchObject({ from_stage: 'None', to_stage: 'Staging', comment: 'try it', user_id: 'alice' });
    expect(page2.body.next_page_token).toBeUndefined();
    // An answer without a comment of its own shows none, not the request's.
    await t.as('alice').post(`${API}/transition-requests/create`, { name, version: v2, stage: 'Production', comment: 'ship it' }).expect(200);
    await admin().post(`${API}/transition-requests/reject`, { name, version: v2, stage: 'Production' }).expect(200);
    const [rejected, filed] = (await t.as('alice').get(FEED, { name, version: v2, max_results: 2 }).expect(200)).body.activities;
    expect(rejected).toMatchObject({ action: 'reject_transition_request', user_id: 'admin' });
    expect(rejected).not.toHaveProperty('comment');
    expect(filed).toMatchObject({ action: 'create_transition_request', comment: 'ship it' });
    expect((await t.as('dave').get(FEED, { name, version: v }).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    expect((await t.as('alice').get(FEED, { name, version: '99' }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});
