import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/registry-process';

// The README's start command with no DATABASE_URL and no JWT settings: embedded PostgreSQL,
// a generated secret, and a printed admin token that works, also after a restart.
const root = path.resolve(__dirname, '../..');

interface Started {
  proc: ChildProcess;
  url: string;
  token: string;
}

function start(dataDir: string, port: number): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_ISSUER', 'JWT_AUDIENCE', 'S3_ENDPOINT']) delete env[k];
  const proc = spawn(path.join(root, 'node_modules/.bin/tsx'), ['src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no token printed within 90 s:\n${out}`)), 90_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const token = /MLFLOW_TRACKING_TOKEN=(\S+)/.exec(out)?.[1];
      const url = /MLFLOW_TRACKING_URI=(\S+)/.exec(out)?.[1];
      if (token && url) {
        clearTimeout(timer);
        resolve({ proc, url, token });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
}

/**
 * start() on a port the kernel says is free; once more on another when something took that port
 * before the service bound it (the browser tests and the other files open ports all the time).
 */
async function startOnFreePort(dataDir: string): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(dataDir, await freePort());
    } catch (err) {
      if (attempt >= 3 || !/is already in use/.test(String(err))) throw err;
    }
  }
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.on('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

describe('zero-config start', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-zero-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts on embedded PostgreSQL, prints a working admin token, and keeps its secret across restarts', async () => {
    const first = await startOnFreePort(dataDir);
    try {
      const res = await fetch(`${first.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
        headers: { Authorization: `Bearer ${first.token}` },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { experiment: { name: string } }).experiment.name).toBe('Default');
      expect(fs.existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);
      expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    } finally {
      await stop(first.proc);
    }
    const second = await startOnFreePort(dataDir);
    try {
      const res = await fetch(`${second.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
        headers: { Authorization: `Bearer ${first.token}` },
      });
      expect(res.status).toBe(200);
    } finally {
      await stop(second.proc);
    }
  }, 200_000);
});
