import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { TEST_JWT_SECRET } from '../helpers/tokens';

/** The scripts' command lines: a usage line and exit 2 for a bad one, never a stack trace. */
const root = path.resolve(__dirname, '../..');

function run(script: string, args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(clean)) if (/^(DATABASE_URL|JWT_|S3_|AWS_|ADMIN_)/.test(k)) delete clean[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env: { ...clean, ENV_FILE: '', ...env }, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run token (src/cli/mint-token.ts)', () => {
  it('answers an unknown option with what is wrong and the usage line, exit 2', () => {
    const { code, stdout, stderr } = run('src/cli/mint-token.ts', ['--bogus']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toBe("Unknown option '--bogus'");
    expect(lines[1]).toMatch(/^usage: registry-token --sub <user> /);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('answers a missing --sub, a missing value and an extra argument the same way', () => {
    for (const [args, first] of [
      [[], '--sub <user> is required'],
      [['--sub'], "Option '--sub <value>' argument missing"],
      [['--sub', 'alice', 'bob'], "unexpected argument 'bob'"],
    ] as const) {
      const { code, stderr } = run('src/cli/mint-token.ts', [...args], { JWT_SECRET: TEST_JWT_SECRET });
      expect(code).toBe(2);
      expect(stderr.split('\n').slice(0, 2)).toEqual([first, expect.stringMatching(/^usage: /)]);
    }
  });

  it('prints the usage on stdout for --help, exit 0', () => {
    const { code, stdout, stderr } = run('src/cli/mint-token.ts', ['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^usage: registry-token --sub <user> \[--admin\] \[--groups a,b\] \[--ttl 12h\]/);
  });

  it('mints a token with JWT_SECRET, and refuses the placeholder of .env.example in one line', () => {
    const ok = run('src/cli/mint-token.ts', ['--sub', 'alice', '--ttl', '1h'], { JWT_SECRET: TEST_JWT_SECRET });
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const refused = run('src/cli/mint-token.ts', ['--sub', 'alice'], { JWT_SECRET: 'change-me-run-openssl-rand-hex-32-and-paste-it-here' });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^Invalid configuration: JWT_SECRET still holds the example value from \.env\.example/);
  });
});

describe('the other scripts', () => {
  it.each([
    ['scripts/db-deploy.ts', ['--bogus'], /^usage: npm run db:deploy/],
    ['scripts/new-migration.ts', ['Not-Snake'], /^usage: npm run db:new-migration -- <snake_case_name>/],
    ['scripts/new-migration.ts', ['a', 'b'], /^usage: npm run db:new-migration/],
  ])('%s %j: one line saying what is wrong, the usage, exit 2', (script, args, usage) => {
    const { code, stderr } = run(script, args);
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(usage);
  });
});
