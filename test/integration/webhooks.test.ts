import { type ApiClient, startTestApp, type TestApp } from '../helpers/test-app';
import { eventually, Receiver, verifyMlflowSignature } from './webhook-receiver';

// Webhooks on MLflow 3's API (README "Webhooks"): the wire format of the endpoints, every event
// type with MLflow's payloads and signature, retries in order with a stable delivery id, the
// address checks at connect time, the delivery log and redelivery, and who may manage which webhook.
const M = '/api/2.0/mlflow';
const SECRET = 'receiver-shared-secret';
let t: TestApp;
let admin: ApiClient;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  t = await startTestApp({
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_POLL_INTERVAL_MS: '50',
    WEBHOOK_RETRY_BASE_MS: '100',
    WEBHOOK_RETRY_MAX_MS: '300',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_RETRY_HORIZON: '60s',
  });
  t.container.webhookDelivery.start();
  admin = t.as();
}, 60_000);
afterAll(async () => {
  await t?.close();
  await receiver.stop();
});

const ALL_MLFLOW = [
  ['REGISTERED_MODEL', 'CREATED'],
  ['MODEL_VERSION', 'CREATED'],
  ['MODEL_VERSION_TAG', 'SET'],
  ['MODEL_VERSION_TAG', 'DELETED'],
  ['MODEL_VERSION_ALIAS', 'CREATED'],
  ['MODEL_VERSION_ALIAS', 'DELETED'],
  ['PROMPT', 'CREATED'],
  ['PROMPT_VERSION', 'CREATED'],
  ['PROMPT_TAG', 'SET'],
  ['PROMPT_TAG', 'DELETED'],
  ['PROMPT_VERSION_TAG', 'SET'],
  ['PROMPT_VERSION_TAG', 'DELETED'],
  ['PROMPT_ALIAS', 'CREATED'],
  ['PROMPT_ALIAS', 'DELETED'],
].map(([entity, action]) => ({ entity: entity!, action: action! }));
const ALL_OURS = [
  ['REGISTERED_MODEL', 'DELETED'],
  ['MODEL_VERSION', 'DELETED'],
  ['MODEL_VERSION_STAGE', 'TRANSITIONED'],
  ['MODEL_VERSION_ALIAS', 'MOVED'],
  ['TRANSITION_REQUEST', 'CREATED'],
  ['TRANSITION_REQUEST', 'APPROVED'],
  ['TRANSITION_REQUEST', 'REJECTED'],
  ['TRANSITION_REQUEST', 'WITHDRAWN'],
  ['MODEL_VERSION_COMMENT', 'CREATED'],
  ['MODEL_VERSION_COMMENT', 'UPDATED'],
  ['MODEL_VERSION_COMMENT', 'DELETED'],
].map(([entity, action]) => ({ entity: entity!, action: action! }));

async function createWebhook(body: Record<string, unknown>, as: ApiClient = admin): Promise<string> {
  const res = await as.post(`${M}/webhooks`, { name: `hook-${Math.random().toString(36).slice(2, 8)}`, url: receiver.url, ...body });
  expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { webhook: expect.objectContaining({ webhook_id: expect.any(String) }) } });
  return res.body.webhook.webhook_id as string;
}
const deliveries = async (id: string) => (await admin.get(`${M}/webhooks/${id}/deliveries`).expect(200)).body.deliveries ?? [];
const forModel = (name: string) => receiver.received.filter((r) => r.json.data.name === name);

describe('the webhook API (MLflow 3 wire format)', () => {
  it('creates, gets, lists, updates and deletes a webhook with MLflow field and enum names, never returning the secret', async () => {
    const before = Date.now();
    const res = await admin.post(`${M}/webhooks`, {
      name: 'ci-hook',
      description: 'tells CI',
      url: 'https://ci.example.com/hook',
      events: [
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'model_version_alias', action: 'created' },
      ],
      secret: 's3cret',
    });
    expect(res.status).toBe(200);
    const w = res.body.webhook;
    expect(w).toEqual({
      webhook_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'ci-hook',
      description: 'tells CI',
      url: 'https://ci.example.com/hook',
      events: [
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
      ],
      status: 'ACTIVE',
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: w.creation_timestamp,
    });
    expect(w.creation_timestamp).toBeGreaterThanOrEqual(before);
    const stored = await t.container.prisma.webhook.findUniqueOrThrow({ where: { id: w.webhook_id } });
    expect(stored.secretEncrypted).toMatch(/^v1:/);
    expect(stored.secretEncrypted).not.toContain('s3cret');

    expect((await admin.get(`${M}/webhooks/${w.webhook_id}`).expect(200)).body).toEqual({ webhook: w });
    const list = (await admin.get(`${M}/webhooks`, { max_results: 1000 }).expect(200)).body;
    expect(list.webhooks).toContainEqual(w);
    expect(JSON.stringify(list)).not.toContain('s3cret');

    const patched = (await admin.patch(`${M}/webhooks/${w.webhook_id}`, { status: 'DISABLED', name: 'ci-hook-2', events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }] }).expect(200))
      .body.webhook;
    expect(patched).toEqual({ ...w, name: 'ci-hook-2', status: 'DISABLED', events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }], last_updated_timestamp: expect.any(Number) });

    expect((await admin.delete(`${M}/webhooks/${w.webhook_id}`).expect(200)).body).toEqual({});
    const gone = await admin.get(`${M}/webhooks/${w.webhook_id}`);
    expect({ status: gone.status, body: gone.body }).toEqual({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Webhook with ID ${w.webhook_id} not found.` } });
  });

  it('pages the list with max_results and next_page_token', async () => {
    for (let i = 0; i < 3; i++) await createWebhook({ url: 'https://a.example.com/', events: [{ entity: 'PROMPT', action: 'CREATED' }], status: 'DISABLED' });
    const first = (await admin.get(`${M}/webhooks`, { max_results: 2 }).expect(200)).body;
    expect(first.webhooks).toHaveLength(2);
    expect(first.next_page_token).toEqual(expect.any(String));
    const second = (await admin.get(`${M}/webhooks`, { max_results: 2, page_token: first.next_page_token }).expect(200)).body;
    expect(second.webhooks.map((x: { webhook_id: string }) => x.webhook_id)).not.toContain(first.webhooks[0].webhook_id);
    expect((await admin.get(`${M}/webhooks`, { max_results: 0 }).expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it.each([
    ['an unknown action for an entity', { events: [{ entity: 'REGISTERED_MODEL', action: 'SET' }] }],
    ['no events', { events: [] }],
    ['an ftp URL', { url: 'ftp://example.com/x' }],
    ['a literal private address', { url: 'http://10.1.2.3/hook' }],
    ['the metadata address', { url: 'http://169.254.169.254/latest/meta-data' }],
    ['an IPv4-mapped IPv6 address', { url: 'http://[::ffff:127.0.0.1]:8080/' }],
    ['the IPv6 metadata address', { url: 'http://[fd00:ec2::254]/' }],
    ['a name MLflow refuses', { name: '-bad name-' }],
  ])('refuses %s with INVALID_PARAMETER_VALUE', async (_what, body) => {
    const res = await admin.post(`${M}/webhooks`, { name: 'ok-name', url: 'https://example.com/', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }], ...body });
    expect({ status: res.status, error_code: res.body.error_code }).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('test_webhook sends a signed example payload and reports the answer', async () => {
    const id = await createWebhook({ events: [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }], secret: SECRET });
    const n = receiver.received.length;
    const res = await admin.post(`${M}/webhooks/${id}/test`, {});
    expect(res.body).toEqual({ result: { success: true, response_status: 200, response_body: 'ok' } });
    const got = receiver.received[n]!;
    expect(got.json).toEqual({
      entity: 'model_version_tag',
      action: 'set',
      timestamp: expect.any(String),
      data: { name: 'example_model', version: '1', key: 'example_key', value: 'example_value' },
    });
    expect(verifyMlflowSignature(SECRET, got)).toBe(true);
    await admin.delete(`${M}/webhooks/${id}`).expect(200);
  });
});

describe('delivery', () => {
  it('delivers every event type exactly once, signed, with MLflow payload shapes', async () => {
    const id = await createWebhook({ name_pattern: 'every-*', events: [...ALL_MLFLOW, ...ALL_OURS], secret: SECRET });
    const name = 'every-model';
    const prompt = 'every-prompt';
    await admin.post(`${M}/registered-models/create`, { name, description: 'd', tags: [{ key: 'team', value: 'a' }] }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name, source: 's3://b/1', run_id: undefined, description: 'v1', tags: [{ key: 'k', value: 'v' }] }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name, source: 's3://b/2' }).expect(200);
    await admin.post(`${M}/model-versions/set-tag`, { name, version: '1', key: 'x', value: 'y' }).expect(200);
    await admin.delete(`${M}/model-versions/delete-tag`, { name, version: '1', key: 'x' }).expect(200);
    await admin.post(`${M}/registered-models/alias`, { name, alias: 'champ', version: '1' }).expect(200);
    await admin.post(`${M}/registered-models/alias`, { name, alias: 'champ', version: '2' }).expect(200);
    await admin.delete(`${M}/registered-models/alias`, { name, alias: 'champ' }).expect(200);
    await admin.post(`${M}/model-versions/transition-stage`, { name, version: '1', stage: 'Staging' }).expect(200);
    const alice = t.as('alice');
    // alice files the requests (four-eyes: the approver is someone else).
    await alice.post(`${M}/transition-requests/create`, { name, version: '2', stage: 'Staging', comment: 'please' }).expect(200);
    await admin.post(`${M}/transition-requests/approve`, { name, version: '2', stage: 'Staging' }).expect(200);
    await alice.post(`${M}/transition-requests/create`, { name, version: '2', stage: 'Production' }).expect(200);
    await admin.post(`${M}/transition-requests/reject`, { name, version: '2', stage: 'Production' }).expect(200);
    await alice.post(`${M}/transition-requests/create`, { name, version: '1', stage: 'Production' }).expect(200);
    await alice.delete(`${M}/transition-requests/delete`, { name, version: '1', stage: 'Production', creator: 'alice' }).expect(200);
    const comment = (await admin.post(`${M}/comments/create`, { name, version: '1', comment: 'looks good' }).expect(200)).body.comment;
    await admin.patch(`${M}/comments/update`, { id: comment.id, comment: 'looks great' }).expect(200);
    await admin.delete(`${M}/comments/delete`, { id: comment.id }).expect(200);
    await admin.delete(`${M}/model-versions/delete`, { name, version: '1' }).expect(200);
    await admin.delete(`${M}/registered-models/delete`, { name }).expect(200);
    // A prompt, as MLflow 3's prompt registry stores it.
    const isPrompt = { key: 'mlflow.prompt.is_prompt', value: 'true' };
    await admin.post(`${M}/registered-models/create`, { name: prompt, tags: [isPrompt, { key: 'owner', value: 'p' }], description: 'a prompt' }).expect(200);
    await admin
      .post(`${M}/model-versions/create`, { name: prompt, source: 'dummy-source', tags: [isPrompt, { key: 'mlflow.prompt.text', value: 'Hi {{x}}' }, { key: 'lang', value: 'en' }] })
      .expect(200);
    await admin.post(`${M}/registered-models/set-tag`, { name: prompt, key: 'pk', value: 'pv' }).expect(200);
    await admin.delete(`${M}/registered-models/delete-tag`, { name: prompt, key: 'pk' }).expect(200);
    await admin.post(`${M}/model-versions/set-tag`, { name: prompt, version: '1', key: 'vk', value: 'vv' }).expect(200);
    await admin.delete(`${M}/model-versions/delete-tag`, { name: prompt, version: '1', key: 'vk' }).expect(200);
    await admin.post(`${M}/registered-models/alias`, { name: prompt, alias: 'prod', version: '1' }).expect(200);
    await admin.delete(`${M}/registered-models/alias`, { name: prompt, alias: 'prod' }).expect(200);

    const expected: Array<[string, Record<string, unknown>]> = [
      ['registered_model.created', { name, tags: { team: 'a' }, description: 'd' }],
      ['model_version.created', { name, version: '1', source: 's3://b/1', run_id: null, tags: { k: 'v' }, description: 'v1' }],
      ['model_version.created', { name, version: '2', source: 's3://b/2', run_id: null, tags: {}, description: null }],
      ['model_version_tag.set', { name, version: '1', key: 'x', value: 'y' }],
      ['model_version_tag.deleted', { name, version: '1', key: 'x' }],
      ['model_version_alias.created', { name, alias: 'champ', version: '1' }],
      ['model_version_alias.created', { name, alias: 'champ', version: '2' }],
      ['model_version_alias.moved', { name, alias: 'champ', version: '2', previous_version: '1' }],
      ['model_version_alias.deleted', { name, alias: 'champ' }],
      ['model_version_stage.transitioned', { name, version: '1', from_stage: 'None', to_stage: 'Staging' }],
      ['transition_request.created', expect.objectContaining({ name, version: '2', stage: 'Staging', creator: 'alice' })],
      ['transition_request.approved', expect.objectContaining({ name, version: '2', stage: 'Staging' })],
      ['model_version_stage.transitioned', { name, version: '2', from_stage: 'None', to_stage: 'Staging' }],
      ['transition_request.created', expect.objectContaining({ name, version: '2', stage: 'Production' })],
      ['transition_request.rejected', expect.objectContaining({ name, version: '2', stage: 'Production' })],
      ['transition_request.created', expect.objectContaining({ name, version: '1', stage: 'Production' })],
      ['transition_request.withdrawn', expect.objectContaining({ name, version: '1', stage: 'Production' })],
      ['model_version_comment.created', expect.objectContaining({ name, version: '1', comment: 'looks good' })],
      ['model_version_comment.updated', expect.objectContaining({ name, version: '1', comment: 'looks great' })],
      ['model_version_comment.deleted', expect.objectContaining({ name, version: '1' })],
      ['model_version.deleted', { name, version: '1' }],
      ['registered_model.deleted', { name }],
      ['prompt.created', { name: prompt, tags: { owner: 'p' }, description: 'a prompt' }],
      ['prompt_version.created', { name: prompt, version: '1', template: 'Hi {{x}}', tags: { lang: 'en' }, description: null }],
      ['prompt_tag.set', { name: prompt, key: 'pk', value: 'pv' }],
      ['prompt_tag.deleted', { name: prompt, key: 'pk' }],
      ['prompt_version_tag.set', { name: prompt, version: '1', key: 'vk', value: 'vv' }],
      ['prompt_version_tag.deleted', { name: prompt, version: '1', key: 'vk' }],
      ['prompt_alias.created', { name: prompt, alias: 'prod', version: '1' }],
      ['prompt_alias.deleted', { name: prompt, alias: 'prod' }],
    ];
    const ours = () => receiver.received.filter((r) => r.json.data.name === name || r.json.data.name === prompt);
    await eventually(() => ours().length >= expected.length, 20_000, `${expected.length} deliveries`);
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    const got = ours();
    expect(got.map((r) => [r.event, r.json.data])).toEqual(expected);
    // Every event type of the catalogue, each delivery once, each signed with MLflow's algorithm.
    const types = new Set(got.map((r) => r.event));
    for (const e of [...ALL_MLFLOW, ...ALL_OURS]) expect(types).toContain(`${e.entity.toLowerCase()}.${e.action.toLowerCase()}`);
    expect(new Set(got.map((r) => r.deliveryId)).size).toBe(got.length);
    for (const r of got) {
      expect(verifyMlflowSignature(SECRET, r)).toBe(true);
      expect(verifyMlflowSignature('another-secret', r)).toBe(false);
      expect(r.json.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
      expect(Number(r.timestamp)).toBeGreaterThan(1_700_000_000);
    }
    const log = await deliveries(id);
    expect(log).toHaveLength(expected.length);
    expect(log.every((d: { status: string; attempts: number }) => d.status === 'DELIVERED' && d.attempts === 1)).toBe(true);
  }, 40_000);

  it('only sends a webhook the events it subscribed to, in its scope, and nothing while DISABLED', async () => {
    const scoped = 'scope-a';
    await admin.post(`${M}/registered-models/create`, { name: scoped }).expect(200);
    await admin.post(`${M}/registered-models/create`, { name: 'scope-b' }).expect(200);
    const id = await createWebhook({ model_name: scoped, events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
    expect((await admin.get(`${M}/webhooks/${id}`).expect(200)).body.webhook.model_name).toBe(scoped);
    await admin.post(`${M}/model-versions/create`, { name: 'scope-b', source: 's3://b/x' }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name: scoped, source: 's3://b/y' }).expect(200);
    await admin.post(`${M}/model-versions/set-tag`, { name: scoped, version: '1', key: 'a', value: 'b' }).expect(200);
    await eventually(() => forModel(scoped).length >= 1);
    await admin.patch(`${M}/webhooks/${id}`, { status: 'DISABLED' }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name: scoped, source: 's3://b/z' }).expect(200);
    await new Promise((r) => setTimeout(r, 400));
    expect(forModel(scoped).map((r) => r.event)).toEqual(['model_version.created']);
    expect(forModel('scope-b')).toEqual([]);
  });

  it('retries while the receiver is down and delivers every event in order, with one delivery id per event', async () => {
    const down = new Receiver();
    await down.start();
    const port = down.port;
    await down.stop(); // connections refused from now on
    const id = await createWebhook({ url: `http://127.0.0.1:${port}/hook`, model_name: undefined, name_pattern: 'order-*', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
    const name = 'order-model';
    await admin.post(`${M}/registered-models/create`, { name }).expect(200);
    for (let i = 0; i < 4; i++) await admin.post(`${M}/model-versions/create`, { name, source: `s3://b/${i}` }).expect(200);
    // The first is retried; the others wait behind it (per-webhook order).
    await eventually(async () => ((await deliveries(id)).find((d: { event_timestamp: number; attempts: number }) => d.attempts >= 3) ?? null) !== null, 15_000, 'three attempts');
    const waiting = await deliveries(id);
    expect(waiting.filter((d: { attempts: number }) => d.attempts > 0)).toHaveLength(1);
    const first = waiting.find((d: { attempts: number }) => d.attempts > 0);
    expect(first.status).toBe('PENDING');
    expect(first.attempt_log.map((a: { attempt: number }) => a.attempt)).toEqual(first.attempt_log.map((_: unknown, i: number) => i + 1));
    expect(first.attempt_log[0]).toEqual({ attempt: 1, timestamp: expect.any(Number), latency_ms: expect.any(Number), error_message: expect.stringMatching(/ECONNREFUSED|connect/) });
    await down.start(port);
    await eventually(() => down.received.length >= 4, 15_000, 'four deliveries');
    await new Promise((r) => setTimeout(r, 300));
    expect(down.received.map((r) => r.json.data.version)).toEqual(['1', '2', '3', '4']);
    const log = await deliveries(id);
    expect(log.every((d: { status: string }) => d.status === 'DELIVERED')).toBe(true);
    const retried = log.find((d: { delivery_id: string }) => d.delivery_id === first.delivery_id);
    expect(retried.attempts).toBeGreaterThanOrEqual(4);
    expect(retried.attempt_log.at(-1)).toEqual(expect.objectContaining({ response_status: 200, response_excerpt: 'ok' }));
    expect(down.received[0]!.deliveryId).toBe(first.delivery_id);
    expect(new Set(down.received.map((r) => r.deliveryId)).size).toBe(4);
    await down.stop();
  }, 40_000);

  it('honours 429/503 with Retry-After, fails for good on other 4xx, and redelivers with the same delivery id', async () => {
    const flaky = new Receiver();
    await flaky.start();
    let n = 0;
    flaky.answer = (r, res) => {
      n++;
      if (r.json.data.version === '1' && n <= 2) res.writeHead(n === 1 ? 429 : 503, { 'Retry-After': '0' }).end('busy');
      else if (r.json.data.version === '2') res.writeHead(400).end('no thanks');
      else res.writeHead(204).end();
    };
    const id = await createWebhook({ url: flaky.url, name_pattern: 'flaky-*', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
    await admin.post(`${M}/registered-models/create`, { name: 'flaky-model' }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name: 'flaky-model', source: 's3://b/1' }).expect(200);
    await admin.post(`${M}/model-versions/create`, { name: 'flaky-model', source: 's3://b/2' }).expect(200);
    await eventually(async () => (await deliveries(id)).filter((d: { status: string }) => d.status !== 'PENDING').length === 2);
    const log = await deliveries(id);
    const v1 = log.find((d: { attempts: number; status: string }) => d.status === 'DELIVERED');
    const v2 = log.find((d: { status: string }) => d.status === 'FAILED');
    expect(v1.attempt_log.map((a: { response_status: number }) => a.response_status)).toEqual([429, 503, 204]);
    expect(v2).toEqual(expect.objectContaining({ attempts: 1, last_error: 'HTTP 400' }));
    expect(v2.attempt_log).toEqual([expect.objectContaining({ response_status: 400, response_excerpt: 'no thanks' })]);
    flaky.answer = (_r, res) => res.writeHead(200).end();
    const again = await admin.post(`${M}/webhooks/${id}/deliveries/${v2.delivery_id}/redeliver`, {});
    expect(again.status).toBe(200);
    expect(again.body.delivery).toEqual(expect.objectContaining({ delivery_id: v2.delivery_id, status: 'PENDING' }));
    await eventually(async () => (await deliveries(id)).every((d: { status: string }) => d.status === 'DELIVERED'));
    expect(flaky.received.filter((r) => r.deliveryId === v2.delivery_id)).toHaveLength(2);
    const missing = await admin.post(`${M}/webhooks/${id}/deliveries/nope/redeliver`, {});
    expect({ status: missing.status, error_code: missing.body.error_code }).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    await flaky.stop();
  }, 30_000);

  it('refuses at delivery time a host name that resolves to a loopback address, and does not follow a redirect to the metadata address', async () => {
    const n = receiver.received.length;
    // localhost is not in WEBHOOK_ALLOWED_HOSTS (127.0.0.1 is): checked when the socket connects.
    const byName = await createWebhook({ url: `http://localhost:${receiver.port}/hook`, name_pattern: 'ssrf-*', events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }] });
    const redirect = new Receiver();
    await redirect.start();
    redirect.answer = (_r, res) => res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
    const redirected = await createWebhook({ url: redirect.url, name_pattern: 'ssrf-*', events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }] });
    await admin.post(`${M}/registered-models/create`, { name: 'ssrf-model' }).expect(200);
    await eventually(async () => (await deliveries(byName))[0]?.status === 'FAILED' && (await deliveries(redirected))[0]?.status === 'FAILED');
    const [refused] = await deliveries(byName);
    expect(refused.attempts).toBe(1);
    expect(refused.last_error).toMatch(/refused to connect to localhost: (127\.0\.0\.1|::1) is a loopback/);
    expect(receiver.received.length).toBe(n);
    const [moved] = await deliveries(redirected);
    expect(moved).toEqual(expect.objectContaining({ attempts: 1, last_error: 'HTTP 302: redirects are not followed' }));
    expect(redirect.received).toHaveLength(1);
    await redirect.stop();
    // test_webhook goes through the same check.
    const tested = await admin.post(`${M}/webhooks/${byName}/test`, {}).expect(200);
    expect(tested.body.result).toEqual({ success: false, error_message: expect.stringMatching(/refused to connect to localhost/) });
  });
});

describe('who may manage webhooks', () => {
  it('lets MANAGE on a model create and manage its webhooks, and only admins registry-wide or pattern ones', async () => {
    await admin.post(`${M}/registered-models/create`, { name: 'owned' }).expect(200);
    const bob = t.as('bob');
    await bob.post(`${M}/registered-models/create`, { name: 'bobs-model' }).expect(200); // bob gets MANAGE on it
    const own = await bob.post(`${M}/webhooks`, { name: 'bobs', url: 'https://b.example.com/', model_name: 'bobs-model', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
    expect(own.status).toBe(200);
    const denied = [
      await bob.post(`${M}/webhooks`, { name: 'wide', url: 'https://b.example.com/', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }),
      await bob.post(`${M}/webhooks`, { name: 'pat', url: 'https://b.example.com/', name_pattern: '*', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }),
      await bob.post(`${M}/webhooks`, { name: 'other', url: 'https://b.example.com/', model_name: 'owned', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }),
    ];
    expect(denied.map((r) => [r.status, r.body.error_code])).toEqual([
      [403, 'PERMISSION_DENIED'],
      [403, 'PERMISSION_DENIED'],
      [403, 'PERMISSION_DENIED'],
    ]);
    const wide = await createWebhook({ url: 'https://a.example.com/', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
    expect((await bob.get(`${M}/webhooks/${wide}`)).status).toBe(403);
    expect((await bob.delete(`${M}/webhooks/${wide}`)).status).toBe(403);
    const listed = (await bob.get(`${M}/webhooks`).expect(200)).body.webhooks.map((w: { webhook_id: string }) => w.webhook_id);
    expect(listed).toEqual([own.body.webhook.webhook_id]);
    expect((await bob.delete(`${M}/webhooks/${own.body.webhook.webhook_id}`)).status).toBe(200);
  });
});
