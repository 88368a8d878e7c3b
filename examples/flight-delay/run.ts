// `npm run example:flight-delay`: the whole example against the embedded default, in a data
// directory of its own (removed afterwards; --keep keeps it and prints where). With REGISTRY_URL
// and REGISTRY_ADMIN_TOKEN set, it runs against that registry instead; the serving job's token is
// then minted with `npm run token` (the same JWT_SECRET or DATA_DIR as that registry).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runExample } from './example';

const root = path.resolve(__dirname, '../..');
const keep = process.argv.includes('--keep');

/** The service's environment for the embedded default: nothing of the caller's database, store or JWT settings. */
function embeddedEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, ENV_FILE: '', LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) if (/^(DATABASE_URL|JWT_|S3_|AWS_|PORT$|HOST$|WORKERS$)/.test(k)) delete env[k];
  return env;
}

function mint(user: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/mint-token.ts', '--sub', user, '--ttl', '1h'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`npm run token failed: ${err}`))));
  });
}

/** Starts `npm start` (src/main.ts) with no configuration: embedded PostgreSQL and local artifacts under dataDir. */
function startEmbedded(env: NodeJS.ProcessEnv): Promise<{ proc: ChildProcess; url: string; token: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the registry printed no token within 120 s:\n${out}`)), 120_000);
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
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the registry exited with ${code}:\n${out}`));
    });
  });
}

async function main(): Promise<void> {
  if (process.env.REGISTRY_URL && process.env.REGISTRY_ADMIN_TOKEN) {
    await runExample({ registryUrl: process.env.REGISTRY_URL, adminToken: process.env.REGISTRY_ADMIN_TOKEN, tokenFor: (user) => mint(user, process.env) });
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flight-delay-'));
  const env = embeddedEnv(dataDir);
  process.stdout.write(`starting the registry (embedded PostgreSQL, artifacts under ${dataDir}) ...\n`);
  const registry = await startEmbedded(env);
  process.stdout.write(`registry on ${registry.url}\n`);
  try {
    await runExample({ registryUrl: registry.url, adminToken: registry.token, tokenFor: (user) => mint(user, env) });
  } finally {
    registry.proc.removeAllListeners('exit');
    const stopped = new Promise((resolve) => registry.proc.once('close', resolve));
    registry.proc.kill('SIGTERM');
    await stopped;
    if (keep) process.stdout.write(`kept ${dataDir} (start it again with DATA_DIR=${dataDir} npm start)\n`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
