import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, type RegistryProcess, spawnRegistry, stopRegistry, waitUntilAnswering } from '../helpers/registry-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import { TEST_ENV } from '../helpers/env';

/**
 * Start-up failures of the real entry point: one line on stderr that names the variable or file and
 * says what to do, and exit code 2 (the configuration or the environment needs fixing).
 */
let db: TestDatabase;
let dataDir: string;
/** For the steps that start or stop service processes, several at once: slow when the machine is loaded (the browser tests run beside them). */
const STARTS_MS = 120_000;
const started: RegistryProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-startup-'));
  // As root, the embedded PostgreSQL runs as the OS user postgres, which must reach DATA_DIR.
  fs.chmodSync(dataDir, 0o755);
});
afterAll(async () => {
  for (const r of started) await stopRegistry(r);
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}, STARTS_MS);

/** Starts the registry expecting it to fail: its exit code and stderr. */
async function launch(env: Record<string, string | undefined>): Promise<{ code: number | null; lines: string[] }> {
  const r = await spawnRegistry({ DATA_DIR: path.join(dataDir, 'unused'), ...env });
  started.push(r);
  const { code } = await r.exited;
  return { code, lines: r.stderr().trim().split('\n') };
}

/** Its stderr must be one line. */
async function failure(launched: Promise<{ code: number | null; lines: string[] }>): Promise<{ code: number | null; line: string }> {
  const { code, lines } = await launched;
  expect(lines).toHaveLength(1);
  return { code, line: lines[0]! };
}

const adminUrl = (change: (u: URL) => void): string => {
  const u = new URL(TEST_ENV.adminUrl());
  change(u);
  return u.toString();
};

describe('start-up failures', () => {
  // The quick ones start side by side (each is a Node process loading the service).
  let closedPort: number;
  let launched: Record<'closedPort' | 'noDatabase' | 'noRole' | 'badHost', Promise<{ code: number | null; lines: string[] }>>;
  beforeAll(async () => {
    closedPort = await freePort();
    launched = {
      closedPort: launch({ DATABASE_URL: `postgresql://registry@127.0.0.1:${closedPort}/registry` }),
      noDatabase: launch({ DATABASE_URL: adminUrl((u) => (u.pathname = '/no_such_database_here')) }),
      noRole: launch({ DATABASE_URL: adminUrl((u) => (u.username = 'no_such_role_here')) }),
      badHost: launch({ DATABASE_URL: db.url, HOST: '203.0.113.7' }),
    };
    await Promise.all(Object.values(launched));
  }, STARTS_MS);

  it('DATABASE_URL to a closed port', async () => {
    const port = closedPort;
    const { code, line } = await failure(launched.closedPort);
    expect(code).toBe(2);
    expect(line).toBe(
      `registry failed to start: cannot connect to PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): connection refused; start PostgreSQL there, or fix DATABASE_URL (or unset it to use the embedded PostgreSQL under DATA_DIR).`,
    );
  });

  it('DATABASE_URL naming a database that does not exist', async () => {
    const { code, line } = await failure(launched.noDatabase);
    expect(code).toBe(2);
    expect(line).toMatch(/^registry failed to start: the database 'no_such_database_here' in DATABASE_URL does not exist on [^ ]+: create it \(CREATE DATABASE "no_such_database_here"/);
  });

  it('DATABASE_URL naming a user that does not exist', async () => {
    const { code, line } = await failure(launched.noRole);
    expect(code).toBe(2);
    expect(line).toMatch(/^registry failed to start: the user 'no_such_role_here' in DATABASE_URL does not exist on [^ ]+: create it \(CREATE ROLE "no_such_role_here" LOGIN/);
  });

  it(
    'PORT already in use, also with WORKERS=2 (said once, no restarts)',
    async () => {
      const taken = net.createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as net.AddressInfo).port;
      try {
        const both = await Promise.all(['1', '2'].map((workers) => failure(launch({ DATABASE_URL: db.url, PORT: String(port), WORKERS: workers }))));
        for (const { code, line } of both) {
          expect(code).toBe(2);
          expect(line).toBe(`registry failed to start: PORT ${port} is already in use on 127.0.0.1: stop what listens there (another registry?), or set PORT to a free port.`);
        }
      } finally {
        taken.close();
      }
    },
    STARTS_MS,
  );

  it('HOST that is not an address of this machine', async () => {
    const { code, line } = await failure(launched.badHost);
    expect(code).toBe(2);
    expect(line).toBe(
      'registry failed to start: HOST 203.0.113.7 is not an address of this machine: set HOST to 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its addresses.',
    );
  });

  describe('embedded PostgreSQL', () => {
    let first: RegistryProcess;

    it('a second instance on the same DATA_DIR names the lock file', async () => {
      const shared = path.join(dataDir, 'shared');
      first = await spawnRegistry({ DATA_DIR: shared, DATABASE_URL: undefined, SHUTDOWN_GRACE_MS: '2000' });
      started.push(first);
      await waitUntilAnswering(first, '/ready');
      const { code, line } = await failure(launch({ DATA_DIR: shared, DATABASE_URL: undefined }));
      expect(code).toBe(2);
      const lockFile = path.join(shared, 'postgres', 'postmaster.pid');
      const pid = fs.readFileSync(lockFile, 'utf8').split('\n')[0];
      expect(line).toBe(
        `registry failed to start: DATA_DIR ${shared} is in use: PostgreSQL (pid ${pid}) already runs on it (lock file ${lockFile}), started by another registry on the same DATA_DIR or left running by one that was killed; stop that process, or set DATA_DIR to another directory.`,
      );
      // The first one goes on serving.
      expect((await fetch(`${first.url}/ready`)).status).toBe(200);
    }, 60_000);

    it('the first one, its database killed under it, still stops within seconds', async () => {
      const pid = Number(fs.readFileSync(path.join(dataDir, 'shared', 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && (await fetch(`${first.url}/ready`)).status !== 503; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await fetch(`${first.url}/ready`)).status).toBe(503);
      const signalledAt = performance.now();
      first.proc.kill('SIGTERM');
      const exit = await first.exited;
      expect(exit.code).toBe(0);
      expect(exit.atMs - signalledAt).toBeLessThan(3000);
    }, 30_000);
  });
});
