import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RegistryProcess, spawnRegistry, stopRegistry, waitUntilAnswering } from '../helpers/registry-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import { tokenFor } from '../helpers/tokens';
import { eventually, Receiver, verifyMlflowSignature } from './webhook-receiver';

// The outbox across processes (README "Webhooks"): a service SIGKILLed in the middle of a delivery
// delivers it after restart under the same delivery id, and two replicas on one database deliver
// each event once between them, in order.
let db: TestDatabase;
let dataDir: string;
const spawned: RegistryProcess[] = [];
const token = tokenFor('admin', { admin: true });
const SECRET = 'replica-secret';
const receiver = new Receiver();

const ENV = {
  WEBHOOK_SECRET_KEY: 'webhook-key-of-the-tests-0123456789abcdef',
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  WEBHOOK_POLL_INTERVAL_MS: '50',
  WEBHOOK_RETRY_BASE_MS: '100',
  WEBHOOK_RETRY_MAX_MS: '300',
  WEBHOOK_TIMEOUT_MS: '1000',
};

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-webhooks-'));
  await receiver.start();
});
afterAll(async () => {
  for (const r of spawned) await stopRegistry(r);
  await receiver.stop();
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

async function start(env: Record<string, string> = {}): Promise<RegistryProcess> {
  const r = await spawnRegistry({ DATA_DIR: dataDir, DATABASE_URL: db.url, ...ENV, ...env });
  spawned.push(r);
  await waitUntilAnswering(r, '/ready');
  return r;
}

async function call<T>(r: RegistryProcess, method: string, p: string, body: unknown): Promise<T> {
  const res = await fetch(`${r.url}/api/2.0/mlflow/${p}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as T;
  if (res.status !== 200) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

it('delivers after a SIGKILL in the middle of a delivery, under the same delivery id', async () => {
  const a = await start();
  const { webhook } = await call<{ webhook: { webhook_id: string } }>(a, 'POST', 'webhooks', {
    name: 'crash',
    url: receiver.url,
    name_pattern: 'crash-*',
    secret: SECRET,
    events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
  });
  // The receiver holds the first request open: the process dies while the delivery is in flight.
  let first = true;
  receiver.answer = (_r, res) => {
    if (first) first = false;
    else res.writeHead(200).end('ok');
  };
  await call(a, 'POST', 'registered-models/create', { name: 'crash-model' });
  await eventually(() => receiver.received.length === 1, 10_000, 'the first attempt');
  a.proc.kill('SIGKILL');
  await a.exited;
  const b = await start();
  await eventually(() => receiver.received.length === 2, 15_000, 'the delivery after restart');
  const [held, again] = receiver.received;
  expect(again!.deliveryId).toBe(held!.deliveryId);
  expect(again!.json).toEqual({ entity: 'registered_model', action: 'created', timestamp: expect.any(String), data: { name: 'crash-model', tags: {}, description: null } });
  expect(verifyMlflowSignature(SECRET, again!)).toBe(true);
  // The receiver has answered; the worker records that right after.
  const log = () => call<{ deliveries: Array<{ status: string; delivery_id: string }> }>(b, 'GET', `webhooks/${webhook.webhook_id}/deliveries`, undefined);
  try {
    await eventually(async () => (await log()).deliveries.every((d) => d.status !== 'PENDING'), 10_000, 'the delivery log');
    expect((await log()).deliveries.map((d) => [d.delivery_id, d.status])).toEqual([[held!.deliveryId, 'DELIVERED']]);
  } finally {
    await stopRegistry(b);
  }
}, 60_000);

it('delivers an event committed just before a SIGKILL once the service is back', async () => {
  receiver.received.length = 0;
  receiver.answer = (_r, res) => res.writeHead(200).end('ok');
  // This process delivers nothing (WEBHOOK_CONCURRENCY=0): whatever it commits is only in the outbox when it dies.
  const a = await start({ WEBHOOK_CONCURRENCY: '0' });
  await call(a, 'POST', 'webhooks', { name: 'after-kill', url: receiver.url, name_pattern: 'killed-*', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
  await call(a, 'POST', 'registered-models/create', { name: 'killed-model' });
  await call(a, 'POST', 'model-versions/create', { name: 'killed-model', source: 's3://b/1' });
  a.proc.kill('SIGKILL');
  await a.exited;
  expect(receiver.received).toEqual([]);
  const b = await start();
  await eventually(() => receiver.received.length === 1, 15_000, 'the delivery after restart');
  expect(receiver.received[0]!.json.data).toEqual({ name: 'killed-model', version: '1', source: 's3://b/1', run_id: null, tags: {}, description: null });
  await stopRegistry(b);
}, 60_000);

it('two replicas on one database deliver each event once between them, in order per webhook', async () => {
  receiver.received.length = 0;
  receiver.answer = (_r, res) => setTimeout(() => res.writeHead(200).end('ok'), 5);
  const [a, b] = await Promise.all([start(), start()]);
  const hooks = await Promise.all(
    ['one', 'two'].map((n) =>
      call<{ webhook: { webhook_id: string } }>(a, 'POST', 'webhooks', {
        name: `rep-${n}`,
        url: `${receiver.url}?${n}`,
        name_pattern: 'rep-*',
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      }),
    ),
  );
  expect(hooks).toHaveLength(2);
  await call(a, 'POST', 'registered-models/create', { name: 'rep-model' });
  const N = 12;
  for (let i = 0; i < N; i++) await call(i % 2 === 0 ? a : b, 'POST', 'model-versions/create', { name: 'rep-model', source: `s3://b/${i}` });
  await eventually(() => receiver.received.length >= 2 * N, 30_000, `${2 * N} deliveries`);
  await new Promise((r) => setTimeout(r, 500));
  expect(receiver.received).toHaveLength(2 * N);
  expect(new Set(receiver.received.map((r) => r.deliveryId)).size).toBe(2 * N);
  for (const n of ['one', 'two']) {
    const got = receiver.received.filter((r) => r.path === `/hook?${n}`);
    expect(got.map((r) => r.json.data.version)).toEqual(Array.from({ length: N }, (_x, i) => String(i + 1)));
  }
}, 90_000);
