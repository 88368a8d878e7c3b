import { type Builders, expectOk, fx, M, next } from './harness';

// The rows on webhooks scoped to the shared model mx (admin-only webhooks are not `resource` rows'
// subjects: test/integration/webhooks.test.ts checks those). Each row gets a webhook of its own.

const EVENTS = [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }];

/** A webhook on mx made by the admin (https://hooks.invalid/ never resolves: nothing is sent anywhere). */
async function mxWebhook(): Promise<string> {
  const res = await fx.admin.post(`${M}/webhooks`, { name: `mx-hook-${next()}`, url: 'https://hooks.invalid/x', model_name: 'mx', events: EVENTS }).expect(200);
  return res.body.webhook.webhook_id as string;
}
const webhookOn = (id: string) => fx.t.container.prisma.webhook.findUnique({ where: { id } });

export const WEBHOOK_BUILDERS: Builders = {
  'webhooks.create': async () => {
    const name = `mx-new-hook-${next()}`;
    return {
      resourceId: fx.mx,
      call: (c) => c.post(`${M}/webhooks`, { name, url: 'https://hooks.invalid/x', model_name: 'mx', events: EVENTS }),
      allowed: async (res) => {
        expectOk(res, { webhook: expect.objectContaining({ name, model_name: 'mx', status: 'ACTIVE' }) });
        expect(await webhookOn(res.body.webhook.webhook_id)).toEqual(expect.objectContaining({ name }));
      },
    };
  },
  'webhooks.get': async () => {
    const id = await mxWebhook();
    return { resourceId: fx.mx, call: (c) => c.get(`${M}/webhooks/${id}`), allowed: (res) => expectOk(res, { webhook: expect.objectContaining({ webhook_id: id, model_name: 'mx' }) }) };
  },
  'webhooks.update': async () => {
    const id = await mxWebhook();
    return {
      resourceId: fx.mx,
      call: (c) => c.patch(`${M}/webhooks/${id}`, { status: 'DISABLED' }),
      allowed: async (res) => {
        expectOk(res, { webhook: expect.objectContaining({ webhook_id: id, status: 'DISABLED' }) });
        expect((await webhookOn(id))?.status).toBe('DISABLED');
      },
    };
  },
  'webhooks.delete': async () => {
    const id = await mxWebhook();
    return {
      resourceId: fx.mx,
      call: (c) => c.delete(`${M}/webhooks/${id}`),
      allowed: async (res) => {
        expectOk(res);
        expect(await webhookOn(id)).toBeNull();
      },
    };
  },
  'webhooks.test': async () => {
    const id = await mxWebhook();
    return {
      resourceId: fx.mx,
      call: (c) => c.post(`${M}/webhooks/${id}/test`, {}),
      allowed: (res) => expectOk(res, { result: { success: false, error_message: expect.stringContaining('Failed to test webhook') } }),
    };
  },
  'webhooks.deliveries.list': async () => {
    const id = await mxWebhook();
    return { resourceId: fx.mx, call: (c) => c.get(`${M}/webhooks/${id}/deliveries`), allowed: (res) => expectOk(res, {}) };
  },
  'webhooks.deliveries.redeliver': async () => {
    const id = await mxWebhook();
    // A tag set on mx v1 queues a delivery (no worker runs in the matrix app: it stays PENDING).
    await fx.admin.post(`${M}/model-versions/set-tag`, { name: 'mx', version: '1', key: `wh${next()}`, value: 'v' }).expect(200);
    const delivery = (await fx.t.container.prisma.webhookDelivery.findFirstOrThrow({ where: { webhookId: id } })).id;
    return {
      resourceId: fx.mx,
      call: (c) => c.post(`${M}/webhooks/${id}/deliveries/${delivery}/redeliver`, {}),
      allowed: (res) => expectOk(res, { delivery: expect.objectContaining({ delivery_id: delivery, status: 'PENDING' }) }),
    };
  },
};
