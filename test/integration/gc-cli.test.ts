import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Client } from 'pg';
import { ConfigError, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { GcSchedule } from '../../src/modules/gc/gc-schedule';
import { parseOlderThan } from '../../src/modules/gc/gc.schemas';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { TEST_ENV } from '../helpers/env';
import { spawnRegistry, stopRegistry, waitUntilAnswering } from '../helpers/registry-process';
import { createTestDatabase } from '../helpers/test-db';

const M = '/api/2.0/mlflow';
const DAY = 86_400_000;
const ROOT = path.resolve(__dirname, '../..');

/** `npm run gc -- …` as an operator runs it: tsx scripts/gc.ts with the service's environment. */
function gcCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['scripts/gc.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ENV_FILE: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('garbage collection from the command line and on a schedule', () => {
  let t: TestApp;
  let env: Record<string, string>;
  let runId: string;
  let root: string;

  beforeAll(async () => {
    t = await startTestApp();
    const config = t.container.config;
    env = {
      DATABASE_URL: config.databaseUrl!,
      DATA_DIR: config.dataDir,
      S3_ENDPOINT: `http://127.0.0.1:${TEST_ENV.s3Port()}`,
      S3_BUCKET: config.s3!.bucket,
      S3_ACCESS_KEY: 'S3RVER',
      S3_SECRET_KEY: 'S3RVER',
      REGISTERED_MODEL_CACHE_SIZE: '0',
    };
    const admin = t.as('admin');
    const exp = (await admin.post(`${M}/experiments/create`, { name: 'gc-cli' }).expect(200)).body.experiment_id;
    runId = (await admin.post(`${M}/runs/create`, { experiment_id: exp }).expect(200)).body.run.info.run_id;
    root = `${exp}/${runId}/artifacts`;
    await t.container.artifactStore.put(`${root}/a.txt`, Readable.from([Buffer.from('0123456789')]));
    await admin.post(`${M}/runs/delete`, { run_id: runId }).expect(200);
    await t.container.prisma.$executeRaw`UPDATE runs SET deleted_time = ${BigInt(Date.now() - 40 * DAY)} WHERE id = ${runId}`;
  });
  afterAll(async () => {
    await t.close();
  });

  const runExists = async () => (await t.container.prisma.run.count({ where: { id: runId } })) === 1;

  it('reads GC_INTERVAL and GC_RETENTION, naming a bad one', () => {
    expect(loadConfig({}).gc).toEqual({ intervalSeconds: undefined, retentionSeconds: 30 * 86_400 });
    expect(loadConfig({ GC_INTERVAL: '6h', GC_RETENTION: '7d' }).gc).toEqual({ intervalSeconds: 6 * 3600, retentionSeconds: 7 * 86_400 });
    expect(() => loadConfig({ GC_INTERVAL: 'often' })).toThrow(ConfigError);
    expect(() => loadConfig({ GC_INTERVAL: 'often' })).toThrow(/GC_INTERVAL: must be a duration/);
    expect(() => loadConfig({ GC_RETENTION: 'forever' })).toThrow(/GC_RETENTION/);
  });

  it("reads --older-than as MLflow's gc does", () => {
    expect(parseOlderThan('30d')).toBe(30 * DAY);
    expect(parseOlderThan('1d2h3m4s')).toBe(DAY + (2 * 3600 + 3 * 60 + 4) * 1000);
    expect(parseOlderThan('90m')).toBe(90 * 60_000);
    expect(parseOlderThan('3600')).toBe(3_600_000);
    expect(parseOlderThan('0')).toBe(0);
    for (const bad of ['', 'd', 'soon', '1h1d', '-1d', '1.5d']) expect(parseOlderThan(bad)).toBeUndefined();
  });

  it('answers bad arguments with a usage line and exit code 2', async () => {
    const bad = await gcCli(['--older-than', 'soon'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--older-than soon is not a duration/);
    expect(bad.stderr).toMatch(/^usage: npm run gc --/m);
    const unknown = await gcCli(['--bogus'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/usage: npm run gc/);
    expect((await gcCli(['--experiment-ids', 'x'], env)).code).toBe(2);
  }, 60_000);

  it('--dry-run prints counts and bytes and changes nothing; without it the run goes', async () => {
    const dry = await gcCli(['--dry-run', '--older-than', '30d'], env);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toMatch(/Dry run: nothing was changed/);
    expect(dry.stdout).toMatch(/runs\s+1\s+1 files\s+10 B/);
    expect(await runExists()).toBe(true);

    const real = await gcCli(['--older-than', '30d'], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/removed:/);
    expect(real.stdout).toMatch(/runs\s+1\s+1 files\s+10 B/);
    expect(await runExists()).toBe(false);
    const events = await t.container.prisma.auditEvent.findMany({ where: { action: 'gc_run' } });
    expect(events).toEqual([expect.objectContaining({ actor: 'system:gc' })]);
  }, 120_000);

  it('exits 3 while another collector holds the lock', async () => {
    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [String(0x72656763)]);
      const busy = await gcCli([], env);
      expect(busy.code).toBe(3);
      expect(busy.stderr).toMatch(/already running/);
    } finally {
      await client.end();
    }
  }, 60_000);

  it('the schedule collects each round, skips a round another replica is collecting, and stops', async () => {
    const lines: Array<{ msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { msg: string });
        done();
      },
    });
    const logger = createLogger('debug', sink);
    const schedule = new GcSchedule(t.container.gc, 3_600_000, 30 * DAY, logger);
    schedule.start();
    await schedule.tick();
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['garbage collection is scheduled', 'garbage collection done']));
    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [String(0x72656763)]);
      await schedule.tick();
      expect(lines.map((l) => l.msg)).toContain('garbage collection skipped: another replica is collecting');
    } finally {
      await client.end();
    }
    await schedule.stop();
  });

  it('GC_INTERVAL collects in the running service and stops with it', async () => {
    const db = await createTestDatabase();
    const dataDir = `/tmp/registry-gc-schedule-${Date.now().toString(36)}`;
    const registry = await spawnRegistry({ DATABASE_URL: db.url, DATA_DIR: dataDir, GC_INTERVAL: '1s', GC_RETENTION: '30d', LOG_LEVEL: 'info' });
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    try {
      await waitUntilAnswering(registry);
      const id = 'ab'.repeat(16);
      await sql.query(`INSERT INTO experiments (id, name, artifact_location, creation_time, last_update_time) VALUES (4242, 'sched', 'mlflow-artifacts:/4242', 0, 0)`);
      await sql.query(`INSERT INTO runs (id, experiment_id, status, start_time, lifecycle_stage, deleted_time, artifact_uri) VALUES ($1, 4242, 'FINISHED', 0, 'deleted', $2, $3)`, [
        id,
        Date.now() - 40 * DAY,
        `mlflow-artifacts:/4242/${id}/artifacts`,
      ]);
      const until = Date.now() + 30_000;
      while (Date.now() < until && (await sql.query('SELECT 1 FROM runs WHERE id = $1', [id])).rowCount !== 0) await new Promise((r) => setTimeout(r, 200));
      expect((await sql.query('SELECT 1 FROM runs WHERE id = $1', [id])).rowCount).toBe(0);
      expect(registry.output()).toMatch(/garbage collection is scheduled/);
      expect((await sql.query(`SELECT actor FROM audit_events WHERE action = 'gc_run'`)).rows).toEqual([{ actor: 'system:gc' }]);
    } finally {
      await sql.end();
      await stopRegistry(registry);
      await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
    expect((await registry.exited).code).toBe(0);
  }, 90_000);
});
