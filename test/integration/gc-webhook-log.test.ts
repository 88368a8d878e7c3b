import { startTestApp, type TestApp, type ApiClient } from '../helpers/test-app';
import { eventually, Receiver } from './webhook-receiver';

// The webhooks' delivery log is kept for WEBHOOK_LOG_RETENTION: garbage collection removes finished
// deliveries older than that, with their attempts and the events no delivery needs any more, and
// never a PENDING one; deleting a webhook takes the events only it still referred to.

const M = '/api/2.0/mlflow';
const DAY = 86_400_000;
let t: TestApp;
let admin: ApiClient;
const ok = new Receiver();
const failing = new Receiver();

beforeAll(async () => {
  await ok.start();
  await failing.start();
  failing.answer = (_r, res) => res.writeHead(503).end('busy');
  t = await startTestApp({
    WEBHOOK_SECRET_KEY: 'webhook-key-of-the-tests-0123456789abcdef',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_POLL_INTERVAL_MS: '50',
    // A failing delivery waits an hour before its next attempt: it stays PENDING for the whole test.
    WEBHOOK_RETRY_BASE_MS: '3600000',
    WEBHOOK_RETRY_MAX_MS: '3600000',
    WEBHOOK_LOG_RETENTION: '7d',
  });
  admin = t.as();
  t.container.webhookDelivery.start();
});
afterAll(async () => {
  await t?.close();
  await ok.stop();
  await failing.stop();
});

const db = () => t.container.prisma;
const TAG_SET = [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }];

async function deliveries(webhookId: string) {
  return db().webhookDelivery.findMany({ where: { webhookId }, orderBy: { seq: 'asc' } });
}
const setTag = (name: string, value: string) => admin.post(`${M}/model-versions/set-tag`, { name, version: '1', key: 'k', value }).expect(200);

it('removes finished deliveries older than the retention, keeps pending and recent ones, and takes events no delivery needs', async () => {
  for (const name of ['wl-shared', 'wl-alone']) {
    await admin.post(`${M}/registered-models/create`, { name }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name, source: 's3://b/1' }).expect(200);
  }
  // Registry-wide, delivered; and one on wl-shared whose receiver keeps failing (PENDING).
  const everywhere = (await admin.post(`${M}/webhooks`, { name: 'all', url: `http://127.0.0.1:${ok.port}/`, events: TAG_SET }).expect(200)).body.webhook.webhook_id as string;
  const stuck = (await admin.post(`${M}/webhooks`, { name: 'stuck', url: `http://127.0.0.1:${failing.port}/`, events: TAG_SET, model_name: 'wl-shared' }).expect(200)).body.webhook
    .webhook_id as string;
  await setTag('wl-shared', 'a');
  await setTag('wl-shared', 'b');
  await setTag('wl-alone', 'c');
  await eventually(async () => (await deliveries(everywhere)).filter((d) => d.status === 'DELIVERED').length === 3, 10_000, 'the three deliveries of the registry-wide webhook');
  await eventually(async () => (await deliveries(stuck))[0]?.attempts === 1, 10_000, 'the first attempt of the failing one');
  // Eight days pass for these; then one more change, recent.
  await db().$executeRaw`UPDATE webhook_deliveries SET created_at = created_at - ${BigInt(8 * DAY)}`;
  await setTag('wl-alone', 'd');
  await eventually(async () => (await deliveries(everywhere)).filter((d) => d.status === 'DELIVERED').length === 4, 10_000, 'the recent delivery');
  const oldDelivered = (await deliveries(everywhere)).slice(0, 3).map((d) => d.id);
  expect(await db().webhookDeliveryAttempt.count({ where: { deliveryId: { in: oldDelivered } } })).toBe(3);
  const aloneEvent = (await deliveries(everywhere))[2]!.eventId;

  // The dry run counts: three old finished deliveries; one event (wl-alone's old one) that only they need.
  const dry = await admin.post('/api/2.0/registry/gc', { dry_run: true }).expect(200);
  expect(dry.body.webhook_log).toEqual({ deliveries: 3, events: 1, cutoff_time: expect.any(Number) });
  expect(await db().webhookDelivery.count()).toBe(6);

  const done = await admin.post('/api/2.0/registry/gc', {}).expect(200);
  expect(done.body.webhook_log).toEqual({ deliveries: 3, events: 1, cutoff_time: expect.any(Number) });
  const left = await deliveries(everywhere);
  expect(left.map((d) => d.status)).toEqual(['DELIVERED']);
  expect(oldDelivered).not.toContain(left[0]!.id);
  expect(await db().webhookDeliveryAttempt.count({ where: { deliveryId: { in: oldDelivered } } })).toBe(0);
  // The pending ones stay, old as they are, and so do the events they need.
  expect((await deliveries(stuck)).map((d) => d.status)).toEqual(['PENDING', 'PENDING']);
  expect(await db().webhookEvent.findUnique({ where: { id: aloneEvent } })).toBeNull();
  expect(await db().webhookEvent.count()).toBe(3);
  const log = await admin.get(`${M}/webhooks/${everywhere}/deliveries`).expect(200);
  expect(log.body.deliveries).toHaveLength(1);

  // A second run finds nothing more.
  expect((await admin.post('/api/2.0/registry/gc', {}).expect(200)).body.webhook_log).toMatchObject({ deliveries: 0, events: 0 });

  // Deleting the failing webhook drops its deliveries and the two events only they still needed.
  await admin.delete(`${M}/webhooks/${stuck}`).expect(200);
  expect(await db().webhookDelivery.count({ where: { webhookId: stuck } })).toBe(0);
  expect((await db().webhookEvent.findMany()).map((e) => e.id)).toEqual([left[0]!.eventId]);
});

it('leaves the log alone when garbage collection is limited to experiments or runs', async () => {
  const exp = (await admin.post(`${M}/experiments/create`, { name: 'wl-scoped' }).expect(200)).body.experiment_id as string;
  await db().$executeRaw`UPDATE webhook_deliveries SET created_at = created_at - ${BigInt(30 * DAY)}`;
  const report = await admin.post('/api/2.0/registry/gc', { experiment_ids: [exp] }).expect(200);
  expect(report.body.webhook_log).toEqual({ deliveries: 0, events: 0 });
  expect(await db().webhookDelivery.count()).toBe(1);
  expect(report.body.experiments).toEqual({ count: 0, files: 0, bytes: 0 });
});
