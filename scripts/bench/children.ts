import { spawn } from 'node:child_process';
import path from 'node:path';
import type autocannon from 'autocannon';
import type { CannonFigures, CannonOptions } from './cannon';

/**
 * Runs one of this folder's scripts in a Node process of its own, stdout piped to us; secrets
 * (tokens, signing secrets, database URLs) go in `env`, never on its command line.
 */
function spawnScript(script: string, args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
}

/** Starts a reference server script, which prints its port once listening. */
export async function startHelperServer(script: string, args: string[], env: Record<string, string>) {
  const child = spawnScript(script, args, env);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, port };
}

/** Runs a helper script in a process of its own and parses the JSON it prints. */
export function runChild<T>(script: string, args: string[], env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawnScript(script, args, env);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${script} exited with ${code}`))));
  });
}

/**
 * Runs a load in a fresh process (cannon.ts): 2 untimed seconds of it, then the timed run. A
 * signing secret for the fresh-token mode travels in the child's environment of its own.
 */
export function cannon(opts: autocannon.Options & CannonOptions, secret?: string): Promise<CannonFigures> {
  return runChild<CannonFigures>('cannon.ts', [], { BENCH_CANNON: JSON.stringify(opts), ...(secret ? { BENCH_CANNON_SECRET: secret } : {}) });
}
