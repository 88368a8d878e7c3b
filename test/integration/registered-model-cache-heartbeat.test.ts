import net from 'node:net';
import request from 'supertest';
import { createApp } from '../../src/app';
import { type Container, createContainer } from '../../src/container';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { bearer, tokenFor } from '../helpers/tokens';
import { API, createModel, createVersion } from './registry-fixtures';

/**
 * A replica whose LISTEN connection dies without a word (a NAT or load balancer forgetting the flow)
 * must stop answering registered-models/get from its cache within the heartbeat bound. The replica's
 * LISTEN connection runs through a TCP proxy that can silently stop forwarding: sockets stay open,
 * bytes are dropped, nothing closes or resets.
 */

/** A TCP proxy to PostgreSQL that can black-hole every connection, old and new, without closing any. */
async function startProxy(target: { host: string; port: number }) {
  let forwarding = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(target.port, target.host);
    for (const [from, to] of [
      [downstream, upstream],
      [upstream, downstream],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (forwarding) to.write(chunk);
      });
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
      from.on('error', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    drop: () => (forwarding = false),
    forward: () => (forwarding = true),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

async function until(check: () => Promise<boolean>, what: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not ${what} within ${withinMs} ms`);
}

const HEARTBEAT_MS = 500;
const HEARTBEAT_TIMEOUT_MS = 500;
// Far above the heartbeat bound (1 s) and far below the maximum age, so only the heartbeat can pass.
const STALENESS_DEADLINE_MS = 15_000;

type Prisma = Container['prisma'];

/** A change no replica hears about (triggers off for this one transaction). */
const silently = (prisma: Prisma, name: string, description: string) =>
  prisma.$transaction([prisma.$executeRaw`SET LOCAL session_replication_role = replica`, prisma.$executeRaw`UPDATE registered_models SET description = ${description} WHERE name = ${name}`]);

let probes = 0;
/**
 * Reads until the model is answered from the cache, shown by a silent change going unseen (a read
 * that crossed a notification still in flight is, rightly, not kept).
 */
async function untilCached(prisma: Prisma, get: (name: string) => Promise<{ description?: string }>, name: string): Promise<void> {
  await until(
    async () => {
      const before = (await get(name)).description;
      await silently(prisma, name, `probe ${++probes}`);
      return (await get(name)).description === before;
    },
    'answering from the cache',
    STALENESS_DEADLINE_MS,
  );
}

let writer: TestApp;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let replica: Container;
let replicaHttp: ReturnType<typeof request>;

beforeAll(async () => {
  writer = await startTestApp();
  const databaseUrl = writer.container.config.databaseUrl!;
  const db = new URL(databaseUrl);
  proxy = await startProxy({ host: db.hostname, port: Number(db.port || 5432) });
  const listenUrl = new URL(databaseUrl);
  listenUrl.host = `127.0.0.1:${proxy.port}`;
  replica = await createContainer(
    {
      ...writer.container.config,
      registeredModelCacheHeartbeatMs: HEARTBEAT_MS,
      registeredModelCacheHeartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      registeredModelCacheMaxAgeMs: 600_000,
    },
    writer.container.logger,
    { databaseUrl, listenUrl: listenUrl.toString() },
  );
  replicaHttp = request(createApp(replica));
});
afterAll(async () => {
  await replica?.dispose();
  await proxy?.close();
  await writer?.close();
});

const admin = bearer(tokenFor('admin', { admin: true }));
const getFromReplica = async (name: string) =>
  (await replicaHttp.get(`${API}/registered-models/get`).query({ name }).set(admin).expect(200)).body.registered_model as {
    description?: string;
    aliases?: { alias: string; version: string }[];
  };

describe('a replica whose LISTEN connection silently stops delivering', () => {
  it('stops serving the cached model within the heartbeat bound, and caches again once it listens again', async () => {
    const prisma = writer.container.prisma;
    const name = await createModel(writer.as(), undefined, { description: 'cached' });
    const v1 = await createVersion(writer.as(), name);
    const v2 = await createVersion(writer.as(), name);
    await writer.as().post(`${API}/registered-models/alias`, { name, alias: 'champion', version: v1 }).expect(200);
    const feed = replica.registryChanges!;
    await until(async () => feed.live, 'listening', STALENESS_DEADLINE_MS);

    // The replica answers from its cache: a change nobody announces is not seen.
    await untilCached(prisma, getFromReplica, name);
    expect((await getFromReplica(name)).aliases).toEqual([{ alias: 'champion', version: v1 }]);

    proxy.drop();
    // Another replica moves the alias; its notification is sent into the black hole, and the
    // connection still looks open (no close, no reset; TCP keep-alive reaches the proxy, which answers).
    await writer.as().post(`${API}/registered-models/alias`, { name, alias: 'champion', version: v2 }).expect(200);
    // The heartbeat notices the silent connection within its bound (a slow machine may also have
    // dropped the cached entry for other reasons, so the feed's state is what is waited for).
    await until(async () => !feed.live, 'the feed noticing the silent connection', STALENESS_DEADLINE_MS);
    expect((await getFromReplica(name)).aliases).toEqual([{ alias: 'champion', version: v2 }]);
    // Not live: nothing is kept, so every change is seen at once.
    await silently(prisma, name, 'while deaf');
    expect((await getFromReplica(name)).description).toBe('while deaf');

    proxy.forward();
    await until(async () => feed.live, 'listening again', STALENESS_DEADLINE_MS);
    await untilCached(prisma, getFromReplica, name);
    // And the new connection delivers notifications.
    await writer.as().patch(`${API}/registered-models/update`, { name, description: 'announced' }).expect(200);
    await until(async () => (await getFromReplica(name)).description === 'announced', 'hearing the notification', STALENESS_DEADLINE_MS);
  });
});

describe('with REGISTERED_MODEL_CACHE_MAX_AGE_MS', () => {
  it('reads a model again once its cached copy is that old, even with no notification and a live feed', async () => {
    const app = await startTestApp({ REGISTERED_MODEL_CACHE_MAX_AGE_MS: '1500' });
    try {
      const get = async (name: string) => (await app.as().get(`${API}/registered-models/get`, { name }).expect(200)).body.registered_model as { description?: string };
      const name = await createModel(app.as(), undefined, { description: 'old' });
      await until(async () => app.container.registryChanges!.live, 'listening', STALENESS_DEADLINE_MS);
      await untilCached(app.container.prisma, get, name);
      await silently(app.container.prisma, name, 'new');
      await until(async () => (await get(name)).description === 'new', 'reading the unannounced change', STALENESS_DEADLINE_MS);
      expect(app.container.registryChanges!.live).toBe(true);
    } finally {
      await app.close();
    }
  });
});
