import fs from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { type Container, createContainer } from '../../src/container';
import { createHttpServer } from '../../src/http/http-server';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET } from '../helpers/tokens';

/**
 * /health is liveness, /ready is readiness: the service reaches its database through a TCP proxy the
 * test controls (up, refusing, silent), so an outage is real to it.
 */
const READY_TIMEOUT_MS = 500;

/** A TCP proxy to PostgreSQL: 'up' forwards, 'down' refuses connections, 'silent' accepts and never answers. */
async function startProxy(target: URL) {
  let mode: 'up' | 'down' | 'silent' = 'up';
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.on('error', () => undefined);
    client.on('close', () => open.delete(client));
    if (mode === 'silent') return;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    open.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    async set(next: 'up' | 'down' | 'silent') {
      for (const s of open) s.destroy();
      if (next === 'down' && mode !== 'down') await new Promise((resolve) => server.close(resolve));
      if (next !== 'down' && mode === 'down') await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      mode = next;
    },
    async close() {
      await this.set('down');
    },
  };
}

let db: TestDatabase;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let container: Container;
let server: Server;
let baseUrl: string;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await startProxy(new URL(db.url));
  const proxied = new URL(db.url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-ready-'));
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    DATA_DIR: dataDir,
    DATABASE_URL: proxied.toString(),
    DATABASE_POOL_SIZE: '2',
    READY_TIMEOUT_MS: String(READY_TIMEOUT_MS),
    LOG_LEVEL: 'silent',
  });
  container = await createContainer(config, createLogger('silent'), { databaseUrl: proxied.toString() });
  server = createHttpServer(createApp(container));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await proxy.set('up');
  await container.dispose();
  await proxy.close();
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Ready {
  status: number;
  ms: number;
  body: { status: string; down?: string[]; checks: Record<string, string> };
}

async function ready(): Promise<Ready> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/ready`);
  return { status: res.status, ms: performance.now() - started, body: (await res.json()) as Ready['body'] };
}

/** Answers are shared for a second: ask until the expected status shows (at most 5 s). */
async function readyUntil(status: number): Promise<Ready> {
  let last = await ready();
  for (let i = 0; last.status !== status && i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await ready();
  }
  return last;
}

async function onDatabase<T>(run: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

describe('/health and /ready', () => {
  it('/ready answers 200 without a token, naming what it checked', async () => {
    const r = await ready();
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ready');
    expect(r.body.checks).toEqual({ database: 'ok', migrations: expect.stringMatching(/^ok \(\d+ applied\)$/), artifact_store: 'ok (local)' });
  });

  it('says the database is down when it refuses connections, while /health still answers', async () => {
    await proxy.set('down');
    try {
      const r = await readyUntil(503);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ status: 'unavailable', down: ['database', 'migrations'] });
      expect(r.body.checks.database).toBe('unreachable: error ECONNREFUSED');
      expect(r.body.checks.artifact_store).toBe('ok (local)');
      // No host, port or user of DATABASE_URL in a body anyone can fetch.
      expect(JSON.stringify(r.body)).not.toMatch(new RegExp(`${proxy.port}|127\\.0\\.0\\.1|postgres`));
      const health = await fetch(`${baseUrl}/health`);
      expect(health.status).toBe(200);
    } finally {
      await proxy.set('up');
    }
    expect((await readyUntil(200)).status).toBe(200);
  });

  it('answers within READY_TIMEOUT_MS when the database does not answer at all', async () => {
    await proxy.set('silent');
    try {
      // The first answer after the switch may be a shared one from before; the next one is fresh.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const r = await ready();
      expect(r.status).toBe(503);
      expect(r.body.checks.database).toBe(`unreachable: no answer within ${READY_TIMEOUT_MS} ms`);
      expect(r.ms).toBeLessThan(READY_TIMEOUT_MS + 1000);
    } finally {
      await proxy.set('up');
    }
    expect((await readyUntil(200)).status).toBe(200);
  });

  it('says migrations are missing when the database lacks one this build ships', async () => {
    // The whole ledger row is kept as JSON and put back as it was.
    const [row] = await onDatabase(
      async (c) =>
        (
          await c.query<{ migration_name: string; saved: unknown }>(
            'DELETE FROM _prisma_migrations m WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations) RETURNING migration_name, row_to_json(m) AS saved',
          )
        ).rows,
    );
    try {
      const r = await readyUntil(503);
      expect(r.body).toMatchObject({ status: 'unavailable', down: ['migrations'] });
      expect(r.body.checks.database).toBe('ok');
      expect(r.body.checks.migrations).toContain(row!.migration_name);
    } finally {
      await onDatabase((c) => c.query('INSERT INTO _prisma_migrations SELECT * FROM json_populate_record(NULL::_prisma_migrations, $1)', [row!.saved]));
    }
    expect((await readyUntil(200)).status).toBe(200);
  });

  it('says the artifact store is down when its directory is gone', async () => {
    const root = path.join(dataDir, 'artifacts');
    fs.rmSync(root, { recursive: true, force: true });
    const r = await readyUntil(503);
    expect(r.body).toMatchObject({ status: 'unavailable', down: ['artifact_store'] });
    expect(r.body.checks.artifact_store).toBe('unreachable (local): error ENOENT');
    fs.mkdirSync(root);
    expect((await readyUntil(200)).status).toBe(200);
  });

  it('answers 503 once the process is shutting down', async () => {
    container.readiness.shuttingDown = true;
    const r = await ready();
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ status: 'shutting down', down: ['server'], checks: { server: 'shutting down' } });
    container.readiness.shuttingDown = false;
  });
});
