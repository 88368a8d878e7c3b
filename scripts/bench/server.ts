import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { mintToken } from '../../src/lib/tokens';

export interface BenchServer {
  url: string;
  token: string;
  /** The HS256 secret it verifies tokens with, for minting non-admin tokens in-process. */
  secret: string;
  /** Its METRICS_TOKEN: GET /metrics on the main port (the bench reads the garbage collections there). */
  metricsToken: string;
  databaseUrl: string;
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
}

const root = path.resolve(__dirname, '../..');

/**
 * The options the service's node starts with by default: those of `npm run start:prod` (and the
 * Dockerfile's CMD), read from package.json, so the bench measures the service as it ships.
 */
export function defaultNodeFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (pkg.scripts['start:prod'] ?? '').split(/\s+/);
  const main = words.indexOf('dist/main.js');
  return words[0] === 'node' && main > 0 ? words.slice(1, main) : [];
}

export interface ScratchOptions {
  /** A command the service runs under (valgrind for scripts/bench/instructions.ts). */
  wrapper?: string[];
  /** How long to wait for /health, in seconds. */
  startupSeconds?: number;
  /** Options for the service's node (V8 heap settings, say); defaultNodeFlags() when not given. */
  nodeFlags?: string[];
  /** Extra environment for the service (REGISTERED_MODEL_CACHE_SIZE=0, say). */
  env?: Record<string, string>;
  /** Where the built service is (its dist/main.js): this checkout by default, another build to compare with. */
  serviceDir?: string;
  /**
   * Another process of a server already started (scripts/bench/scale-out.ts): its database, secret
   * and DATA_DIR instead of new ones; stopping this process then leaves them to that server.
   */
  sharing?: BenchServer;
}

/** Starts the service on a scratch database of the local PostgreSQL and local artifact storage. */
export async function startScratchServer(adminUrl: string, log: (m: string) => void, options: ScratchOptions = {}): Promise<BenchServer> {
  const { wrapper = [], startupSeconds = 30, nodeFlags = defaultNodeFlags(), env = {}, serviceDir = root, sharing } = options;
  const db = sharing ? new URL(sharing.databaseUrl).pathname.slice(1) : `registry_bench_${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  if (!sharing) {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  const databaseUrl = u.toString();
  const dataDir = sharing?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'registry-bench-'));
  const secret = sharing?.secret ?? randomBytes(32).toString('hex');
  // Only exposes /metrics: the service records its metrics whether or not they are served.
  const metricsToken = sharing?.metricsToken ?? randomBytes(16).toString('hex');
  const port = 20000 + Math.floor(Math.random() * 20000);
  log(
    `starting ${sharing ? 'another process of the service' : 'the service'} on scratch database ${db}, port ${port}${
      Object.keys(env).length
        ? ` with ${Object.entries(env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : ''
    }`,
  );
  const command = [...wrapper, process.execPath, ...nodeFlags, 'dist/main.js'];
  const proc: ChildProcess = spawn(command[0]!, command.slice(1), {
    cwd: serviceDir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      JWT_SECRET: secret,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: '20',
      METRICS_TOKEN: metricsToken,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`the service exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > startupSeconds * 10) throw new Error(`the service did not answer /health within ${startupSeconds} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    token: mintToken({ secret, subject: 'bench', adminRole: 'admin', ttl: '2h' }),
    secret,
    metricsToken,
    databaseUrl,
    dataDir,
    pid: proc.pid!,
    async stop() {
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
      if (sharing) return;
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A process and all its descendants: `mlflow server` starts gunicorn, which starts its workers. */
function treeOf(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(treeOf)];
}

/** Peak resident set size (VmHWM) of a local process and all its descendants, in MB, summed. */
export function peakRssMb(pid: number): number | undefined {
  let kb = 0;
  for (const p of treeOf(pid)) {
    try {
      kb += Number(/VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return kb > 0 ? kb / 1024 : undefined;
}
