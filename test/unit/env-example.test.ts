import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config';
import { loadEnvFile } from '../../src/env-file';

const root = path.resolve(__dirname, '../..');
const example = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
/** `NAME=value` lines, set (`NAME=...`) or shown commented out (`# NAME=...`). */
const listed = new Map([...example.matchAll(/^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[2]!, { commented: m[1] !== undefined, value: m[3]! }]));
const RANDOM_SECRET = 'f'.repeat(64);

describe('.env.example', () => {
  it('lists every variable src/config.ts reads', () => {
    // Both the schema's keys and any env.X / process.env.X read beside it.
    const source = fs.readFileSync(path.join(root, 'src/config.ts'), 'utf8');
    const read = new Set([...CONFIG_VARIABLES, ...[...source.matchAll(/\b(?:process\.)?env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!)]);
    expect([...read].filter((name) => !listed.has(name))).toEqual([]);
  });

  it('lists no variable the service does not read, except those docker-compose.yml reads', () => {
    const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const composeOnly = [...listed.keys()].filter((name) => !CONFIG_VARIABLES.includes(name));
    expect(composeOnly.filter((name) => !compose.includes(`\${${name}`))).toEqual([]);
    expect(composeOnly.sort()).toEqual(['POSTGRES_PASSWORD', 'REGISTRY_ADMIN', 'REGISTRY_PORT']);
  });

  it('shows the defaults: copied as it is, with the secret replaced, it configures what no .env does', () => {
    const env = { ...parseEnv(example), JWT_SECRET: RANDOM_SECRET };
    expect(loadConfig(env)).toEqual(loadConfig({ JWT_SECRET: RANDOM_SECRET }));
  });

  it('is refused as it is: its JWT_SECRET is a placeholder', () => {
    expect(() => loadConfig(parseEnv(example))).toThrow(
      'Invalid configuration: JWT_SECRET still holds the example value from .env.example; set a random secret (e.g. openssl rand -hex 32) in .env or the environment, or remove JWT_SECRET to have one generated into DATA_DIR.',
    );
  });

  it.each(['S3_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY', 'METRICS_TOKEN'])('refuses the example value of %s once uncommented', (name) => {
    const { value } = listed.get(name)!;
    expect(value).toMatch(/change-me/);
    const env = { JWT_SECRET: RANDOM_SECRET, S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY: 'registry', [name]: value };
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${name} still holds the example value`));
  });

  it("refuses DATABASE_URL's example password (also docker-compose.yml's, from POSTGRES_PASSWORD)", () => {
    expect(listed.get('POSTGRES_PASSWORD')!.value).toBe('change-me');
    const { value } = listed.get('DATABASE_URL')!;
    expect(() => loadConfig({ DATABASE_URL: value })).toThrow(/^Invalid configuration: the password in DATABASE_URL still holds the example value/);
    expect(loadConfig({ DATABASE_URL: value.replace('change-me', 's3cr3t') }).databaseUrl).toContain('s3cr3t');
  });
});

describe('loadEnvFile', () => {
  const saved = { ...process.env };
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'env-file-'));
    for (const k of ['ENV_FILE', 'REGISTRY_TEST_A', 'REGISTRY_TEST_B']) delete process.env[k];
  });
  afterEach(() => {
    process.env = { ...saved };
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads .env from the working directory without overriding the environment', () => {
    fs.writeFileSync(path.join(dir, '.env'), 'REGISTRY_TEST_A=from-file\nREGISTRY_TEST_B=from-file\n');
    process.env.REGISTRY_TEST_A = 'from-env';
    expect(loadEnvFile(dir)).toBe(path.join(dir, '.env'));
    expect(process.env.REGISTRY_TEST_A).toBe('from-env');
    expect(process.env.REGISTRY_TEST_B).toBe('from-file');
  });

  it('is quiet without a .env, reads the file ENV_FILE names, and none with ENV_FILE=', () => {
    expect(loadEnvFile(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'other.env'), 'REGISTRY_TEST_A=other\n');
    fs.writeFileSync(path.join(dir, '.env'), 'REGISTRY_TEST_B=dot-env\n');
    process.env.ENV_FILE = '';
    expect(loadEnvFile(dir)).toBeUndefined();
    expect(process.env.REGISTRY_TEST_B).toBeUndefined();
    process.env.ENV_FILE = 'other.env';
    expect(loadEnvFile(dir)).toBe(path.join(dir, 'other.env'));
    expect(process.env.REGISTRY_TEST_A).toBe('other');
    expect(process.env.REGISTRY_TEST_B).toBeUndefined();
  });

  it('names a missing ENV_FILE and what to do', () => {
    process.env.ENV_FILE = 'missing.env';
    expect(() => loadEnvFile(dir)).toThrow(ConfigError);
    expect(() => loadEnvFile(dir)).toThrow(`cannot read ENV_FILE missing.env (${path.join(dir, 'missing.env')}): it does not exist; fix it, or set ENV_FILE= to read no file.`);
  });
});
