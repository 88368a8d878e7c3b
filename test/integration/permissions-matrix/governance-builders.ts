import type request from 'supertest';
import type { ApiClient } from '../../helpers/test-app';
import { type Builders, expectOk, fx, M, next, R } from './harness';
import { modelId } from './model-builders';

// The rows of promotion requests, approval policies, comments and the activity feed. They read
// fx.t, fx.admin and fx.mx (here the shared model 'gx': v1 in None, never moved by any row).

/** A registered model of its own with v1 (in `stage`), for rows that change what they act on. */
async function newModel(stage: 'None' | 'Staging' = 'None'): Promise<{ name: string; id: string }> {
  const name = `gx-model-${next()}`;
  await fx.admin.post(`${M}/registered-models/create`, { name }).expect(200);
  await fx.admin.post(`${M}/model-versions/create`, { name, source: `s3://b/${name}/1` }).expect(200);
  if (stage !== 'None') await fx.admin.post(`${M}/model-versions/transition-stage`, { name, version: '1', stage }).expect(200);
  return { name, id: await modelId(name) };
}
const stageOf = async (name: string) => (await fx.admin.get(`${M}/model-versions/get`, { name, version: '1' }).expect(200)).body.model_version.current_stage as string;
const aliasOf = async (name: string, alias: string) => (await fx.admin.get(`${M}/registered-models/alias`, { name, alias })).body.model_version?.version as string | undefined;
const openRequests = async (path: string, name: string) => (await fx.admin.get(`${M}/${path}/list`, { name, version: '1' }).expect(200)).body.requests as Array<{ user_id: string }>;
const activity = (type: string) => ({ activity: expect.objectContaining({ activity_type: type }) });

/** A request filed by the admin on a model of its own, then `act` on it by the caller. */
const onAdminRequest =
  (path: 'transition-requests' | 'alias-requests', from: 'None' | 'Staging', target: Record<string, string>, act: 'approve' | 'reject' | 'delete', check: (name: string) => Promise<void>) =>
  async () => {
    const m = await newModel(from);
    await fx.admin.post(`${M}/${path}/create`, { name: m.name, version: '1', ...target }).expect(200);
    const body = { name: m.name, version: '1', ...target, ...(act === 'delete' ? { creator: 'admin' } : {}) };
    return {
      resourceId: m.id,
      call: (c: ApiClient) => (act === 'delete' ? c.delete(`${M}/${path}/delete`, body) : c.post(`${M}/${path}/${act}`, body)),
      allowed: async (res: request.Response) => {
        expectOk(res, activity(act === 'approve' ? 'APPROVED_REQUEST' : act === 'reject' ? 'REJECTED_REQUEST' : 'CANCELLED_REQUEST'));
        expect(await openRequests(path, m.name)).toEqual([]);
        await check(m.name);
      },
    };
  };

/** The caller files a request and withdraws it (their own). */
const ownRequestWithdrawn = (path: 'transition-requests' | 'alias-requests', target: Record<string, string>) => async () => ({
  resourceId: fx.mx,
  call: (c: ApiClient) => {
    const body = { name: 'gx', version: '1', ...target };
    return (async () => {
      await c.post(`${M}/${path}/create`, body);
      return c.delete(`${M}/${path}/delete`, body);
    })() as unknown as request.Test;
  },
  allowed: (res: request.Response) => expectOk(res, activity('CANCELLED_REQUEST')),
});

/** The caller (or the admin, for `.others`) writes a comment on gx v1; the caller then acts on it. */
const onComment = (author: 'caller' | 'admin', act: 'update' | 'delete') => async () => ({
  resourceId: fx.mx,
  call: (c: ApiClient) => {
    const writer = author === 'admin' ? fx.admin : c;
    return (async () => {
      const body = { name: 'gx', version: '1', comment: `c${next()}` };
      let created = await writer.post(`${M}/comments/create`, body);
      // Below READ the caller cannot write one: the act is then on the admin's, and refused all the same.
      if (created.status !== 200) created = await fx.admin.post(`${M}/comments/create`, body).expect(200);
      const id = created.body.comment.id as string;
      return act === 'update' ? c.patch(`${M}/comments/update`, { id, comment: 'edited' }) : c.delete(`${M}/comments/delete`, { id });
    })() as unknown as request.Test;
  },
  allowed: (res: request.Response) => {
    if (act === 'update') expectOk(res, { comment: expect.objectContaining({ comment: 'edited' }) });
    else expectOk(res);
  },
});

export const GOVERNANCE_BUILDERS: Builders = {
  'transition-requests.create': async () => ({
    resourceId: fx.mx,
    call: (c) => c.post(`${M}/transition-requests/create`, { name: 'gx', version: '1', stage: 'Staging' }),
    allowed: (res, { user }) => expectOk(res, { request: expect.objectContaining({ to_stage: 'Staging', user_id: user }) }),
  }),
  'transition-requests.list': async () => ({
    resourceId: fx.mx,
    call: (c) => c.get(`${M}/transition-requests/list`, { name: 'gx', version: '1' }),
    allowed: (res) => expectOk(res, { requests: expect.any(Array) }),
  }),
  'transition-requests.approve': onAdminRequest('transition-requests', 'None', { stage: 'Staging' }, 'approve', async (name) => expect(await stageOf(name)).toBe('Staging')),
  'transition-requests.approve.production': onAdminRequest('transition-requests', 'Staging', { stage: 'Production' }, 'approve', async (name) =>
    expect(await stageOf(name)).toBe('Production'),
  ),
  'transition-requests.reject': onAdminRequest('transition-requests', 'None', { stage: 'Staging' }, 'reject', async (name) => expect(await stageOf(name)).toBe('None')),
  'transition-requests.reject.production': onAdminRequest('transition-requests', 'Staging', { stage: 'Production' }, 'reject', async (name) => expect(await stageOf(name)).toBe('Staging')),
  'transition-requests.delete': ownRequestWithdrawn('transition-requests', { stage: 'Production' }),
  'transition-requests.delete.others': onAdminRequest('transition-requests', 'None', { stage: 'Production' }, 'delete', async (name) => expect(await stageOf(name)).toBe('None')),
  'alias-requests.create': async () => ({
    resourceId: fx.mx,
    call: (c) => c.post(`${M}/alias-requests/create`, { name: 'gx', version: '1', alias: 'champion' }),
    allowed: (res, { user }) => expectOk(res, { request: expect.objectContaining({ alias: 'champion', version: '1', user_id: user }) }),
  }),
  'alias-requests.list': async () => ({
    resourceId: fx.mx,
    call: (c) => c.get(`${M}/alias-requests/list`, { name: 'gx', version: '1' }),
    allowed: (res) => expectOk(res, { requests: expect.any(Array) }),
  }),
  'alias-requests.approve': onAdminRequest('alias-requests', 'None', { alias: 'production' }, 'approve', async (name) => expect(await aliasOf(name, 'production')).toBe('1')),
  'alias-requests.reject': onAdminRequest('alias-requests', 'None', { alias: 'production' }, 'reject', async (name) => expect(await aliasOf(name, 'production')).toBeUndefined()),
  'alias-requests.delete': ownRequestWithdrawn('alias-requests', { alias: 'production' }),
  'alias-requests.delete.others': onAdminRequest('alias-requests', 'None', { alias: 'production' }, 'delete', async (name) => expect(await aliasOf(name, 'production')).toBeUndefined()),
  'registry.approval-policy.get': async () => ({
    resourceId: fx.mx,
    call: (c) => c.get(`${R}/registered-models/approval-policy`, { name: 'gx' }),
    allowed: (res) => expectOk(res, { name: 'gx', require_approval: [], server_default: [], effective: [] }),
  }),
  'registry.approval-policy.set': async () => {
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => c.post(`${R}/registered-models/approval-policy`, { name: m.name, require_approval: ['Production'] }),
      allowed: async (res) => {
        expectOk(res, { name: m.name, require_approval: ['Production'], server_default: [], effective: ['Production'] });
        expect((await fx.admin.get(`${R}/registered-models/approval-policy`, { name: m.name }).expect(200)).body.effective).toEqual(['Production']);
      },
    };
  },
  'comments.create': async () => ({
    resourceId: fx.mx,
    call: (c) => c.post(`${M}/comments/create`, { name: 'gx', version: '1', comment: 'hello' }),
    allowed: (res, { user }) => expectOk(res, { comment: expect.objectContaining({ comment: 'hello', user_id: user }) }),
  }),
  'comments.list': async () => ({
    resourceId: fx.mx,
    call: (c) => c.get(`${M}/comments/list`, { name: 'gx', version: '1' }),
    allowed: (res) => expectOk(res, { comments: expect.any(Array) }),
  }),
  'comments.update': onComment('caller', 'update'),
  'comments.update.others': onComment('admin', 'update'),
  'comments.delete': onComment('caller', 'delete'),
  'comments.delete.others': onComment('admin', 'delete'),
  'registry.model-versions.activity': async () => ({
    resourceId: fx.mx,
    call: (c) => c.get(`${R}/model-versions/activity`, { name: 'gx', version: '1' }),
    allowed: (res) => {
      expectOk(res, { activities: expect.any(Array) });
      expect(res.body.activities.at(-1)).toMatchObject({ action: 'create_model_version', user_id: 'admin' });
    },
  }),
};
