import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, type RegistryProcess, spawnRegistry, stopRegistry } from '../helpers/registry-process';

/** The real entry point reads .env (here through ENV_FILE); the environment wins over the file. */
let dir: string;
const started: RegistryProcess[] = [];
const PLACEHOLDER = 'JWT_SECRET=change-me-run-openssl-rand-hex-32-and-paste-it-here';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-env-file-'));
});
afterAll(async () => {
  for (const r of started) await stopRegistry(r);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function launch(file: string, env: Record<string, string | undefined>): Promise<{ code: number | null; lines: string[] }> {
  const envFile = path.join(dir, `${started.length}.env`);
  fs.writeFileSync(envFile, file);
  const r = await spawnRegistry({ DATA_DIR: path.join(dir, 'unused'), ENV_FILE: envFile, ...env });
  started.push(r);
  const { code } = await r.exited;
  return { code, lines: r.stderr().trim().split('\n') };
}

describe('.env at start', () => {
  it("refuses .env.example's placeholder JWT_SECRET in one line, exit 2", async () => {
    const { code, lines } = await launch(`${PLACEHOLDER}\n`, { JWT_SECRET: undefined });
    expect(code).toBe(2);
    expect(lines).toEqual([
      'Invalid configuration: JWT_SECRET still holds the example value from .env.example; set a random secret (e.g. openssl rand -hex 32) in .env or the environment, or remove JWT_SECRET to have one generated into DATA_DIR.',
    ]);
  });

  it('takes what the environment does not set from the file, and the rest from the environment', async () => {
    // JWT_SECRET comes from the environment (the placeholder in the file is not used), DATABASE_URL from the file.
    const port = await freePort();
    const { code, lines } = await launch(`${PLACEHOLDER}\nDATABASE_URL=postgresql://registry@127.0.0.1:${port}/registry\n`, {});
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^registry failed to start: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port} \\(DATABASE_URL\\)`));
  });

  it('names an ENV_FILE that does not exist', async () => {
    const r = await spawnRegistry({ ENV_FILE: path.join(dir, 'nope.env') });
    started.push(r);
    const { code } = await r.exited;
    expect(code).toBe(2);
    expect(r.stderr().trim()).toBe(`cannot read ENV_FILE ${path.join(dir, 'nope.env')} (${path.join(dir, 'nope.env')}): it does not exist; fix it, or set ENV_FILE= to read no file.`);
  });
});
