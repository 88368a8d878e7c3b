import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET } from './tokens';

/** The real entry point (src/main.ts) in a process of its own, as `npm start` runs it. */
const root = path.resolve(__dirname, '../..');

export interface RegistryProcess {
  proc: ChildProcess;
  port: number;
  url: string;
  /** stdout and stderr so far. */
  output(): string;
  /** stderr alone. */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node --import tsx src/main.ts` with the test's JWT settings and `env` on top of a clean
 * environment (no DATABASE_URL, S3 or JWT variables of the caller's). PORT is a free one unless given.
 */
export async function spawnRegistry(env: Record<string, string | undefined>): Promise<RegistryProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const full: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(full)) if (/^(DATABASE_URL|JWT_|S3_|AWS_|ADMIN_|WORKERS$|SHUTDOWN_|HTTP_|READY_)/.test(k)) delete full[k];
  // ENV_FILE='': a developer's .env in the checkout stays out of the tests.
  Object.assign(full, { ENV_FILE: '', JWT_SECRET: TEST_JWT_SECRET, JWT_ISSUER: TEST_ISSUER, JWT_AUDIENCE: TEST_AUDIENCE, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port) }, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete full[k];
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() })),
  );
  // 'exit' can come before the last output: wait for the pipes to close too.
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  return { proc, port, url: `http://127.0.0.1:${port}`, output: () => out, stderr: () => err, exited: exited.then(async (e) => (await closed, e)) };
}

/** Waits until the process answers `probe` with 200; rejects if it exits first or takes longer than timeoutMs. */
export async function waitUntilAnswering(r: RegistryProcess, probe = '/health', timeoutMs = 60_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  let gone = false;
  void r.exited.then(() => (gone = true));
  while (performance.now() < until) {
    if (gone) throw new Error(`the registry exited before answering:\n${r.output()}`);
    const ok = await fetch(`${r.url}${probe}`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer on ${probe} within ${timeoutMs} ms:\n${r.output()}`);
}

/** Ends a process the test started (if still running) and waits for it. */
export async function stopRegistry(r: RegistryProcess | undefined): Promise<void> {
  if (!r || r.proc.exitCode !== null || r.proc.signalCode !== null) return;
  r.proc.kill('SIGTERM');
  const t = setTimeout(() => r.proc.kill('SIGKILL'), 15_000);
  await r.exited;
  clearTimeout(t);
}
