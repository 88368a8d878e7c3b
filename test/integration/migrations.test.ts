import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations, migrationChecksum, MIGRATIONS_DIR } from '../../src/db/migrate';
import { databaseUrl, TEST_ENV } from '../helpers/env';

/**
 * The service applies prisma/migrations itself but keeps Prisma's own ledger, so Prisma's CLI agrees
 * with it; databases migrated under the old ledger (registry_migrations) are carried over; and the
 * migrations build exactly what prisma/schema.prisma describes, apart from what Prisma cannot express.
 */
const ROOT = path.resolve(__dirname, '../..');
const SCHEMA = path.join(ROOT, 'prisma', 'schema.prisma');
const MIGRATIONS = fs
  .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const CLI_TIMEOUT_MS = 120_000;

const scratch: string[] = [];

/** An empty database of this test's own (global-teardown drops any left behind by its prefix). */
async function createScratchDatabase(label: string): Promise<string> {
  const name = `${TEST_ENV.dbPrefix()}_mig_${label}_${randomBytes(3).toString('hex')}`;
  await onDatabase(TEST_ENV.adminUrl(), (c) => c.query(`CREATE DATABASE ${name}`));
  scratch.push(name);
  return databaseUrl(TEST_ENV.adminUrl(), name);
}

afterAll(async () => {
  for (const name of scratch) await onDatabase(TEST_ENV.adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
});

async function onDatabase<T>(url: string, run: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

/** The project's Prisma CLI (never npx, which may fetch another version), offline as TOOLCHAIN.md says. */
function prisma(args: string[], url: string): Promise<{ code: number; stdout: string; out: string }> {
  const cli = require.resolve('prisma/build/index.js');
  const env = { ...process.env, DATABASE_URL: url, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_QUERY_ENGINE_LIBRARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: ROOT, env, timeout: CLI_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, out: `${stdout}\n${stderr}` });
    });
  });
}

async function expectPrismaSeesUpToDate(url: string): Promise<void> {
  const status = await prisma(['migrate', 'status'], url);
  expect(status.out).toContain('Database schema is up to date');
  expect(status.code).toBe(0);
}

/** What releases before the Prisma ledger did: each migration.sql with pg, its name in registry_migrations. */
async function migrateTheOldWay(url: string, names: string[]): Promise<void> {
  await onDatabase(url, async (c) => {
    await c.query('CREATE TABLE registry_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    for (const name of names) {
      await c.query(fs.readFileSync(path.join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8'));
      await c.query('INSERT INTO registry_migrations (name) VALUES ($1)', [name]);
    }
  });
}

interface LedgerRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

const ledger = (url: string) => onDatabase(url, async (c) => (await c.query<LedgerRow>('SELECT * FROM _prisma_migrations ORDER BY migration_name')).rows);

const fileChecksum = (name: string) => migrationChecksum(fs.readFileSync(path.join(MIGRATIONS_DIR, name, 'migration.sql')));

function expectLedgerOfAll(rows: LedgerRow[]): void {
  expect(rows.map((r) => r.migration_name)).toEqual(MIGRATIONS);
  for (const r of rows) {
    expect(r).toMatchObject({ checksum: fileChecksum(r.migration_name), logs: null, rolled_back_at: null, applied_steps_count: 1 });
    expect(r.finished_at).toBeInstanceOf(Date);
  }
}

describe('the migration ledger', () => {
  it(
    "is Prisma's: after the service migrates a fresh database, prisma migrate status is up to date and deploy has nothing to do",
    async () => {
      const url = await createScratchDatabase('fresh');
      expect(await applyMigrations(url)).toEqual(MIGRATIONS);
      expectLedgerOfAll(await ledger(url));
      await expectPrismaSeesUpToDate(url);
      const deploy = await prisma(['migrate', 'deploy'], url);
      expect(deploy.out).toContain('No pending migrations to apply');
      expect(deploy.code).toBe(0);
      expectLedgerOfAll(await ledger(url));
    },
    2 * CLI_TIMEOUT_MS,
  );

  it('applies nothing the second time, nor when two replicas start at once', async () => {
    const url = await createScratchDatabase('twice');
    const [a, b] = await Promise.all([applyMigrations(url), applyMigrations(url)]);
    expect([...a, ...b].sort()).toEqual(MIGRATIONS);
    expect(await applyMigrations(url)).toEqual([]);
    expectLedgerOfAll(await ledger(url));
  });

  it('warns about an applied migration whose file changed since, and starts anyway', async () => {
    const url = await createScratchDatabase('edited');
    await applyMigrations(url);
    const edited = MIGRATIONS[1]!;
    await onDatabase(url, (c) => c.query("UPDATE _prisma_migrations SET checksum = repeat('0', 64) WHERE migration_name = $1", [edited]));
    const warnings: string[] = [];
    expect(
      await applyMigrations(
        url,
        () => {},
        (m) => warnings.push(m),
      ),
    ).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(edited);
  });

  it('refuses to build on a migration that started and never finished, naming it', async () => {
    const url = await createScratchDatabase('failed');
    await applyMigrations(url);
    const last = MIGRATIONS.at(-1)!;
    await onDatabase(url, (c) => c.query('UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = $1', [last]));
    await expect(applyMigrations(url)).rejects.toThrow(`migration ${last} started and did not finish`);
  });
});

describe('a database migrated under the old ledger (registry_migrations)', () => {
  it(
    'is carried over on start: nothing runs again, the old table is gone, Prisma sees it up to date',
    async () => {
      const url = await createScratchDatabase('old');
      await migrateTheOldWay(url, MIGRATIONS);
      await onDatabase(url, (c) => c.query("INSERT INTO experiments (id, name, artifact_location, creation_time, last_update_time) VALUES (7, 'kept', 'mlflow-artifacts:/7', 1, 1)"));
      const oldAppliedAt = await onDatabase(url, async (c) => (await c.query<{ applied_at: Date }>('SELECT min(applied_at) AS applied_at FROM registry_migrations')).rows[0]!.applied_at);

      expect(await applyMigrations(url)).toEqual([]);

      const after = await onDatabase(url, async (c) => ({
        oldTable: (await c.query<{ t: string | null }>("SELECT to_regclass('registry_migrations')::text AS t")).rows[0]!.t,
        experiments: (await c.query<{ name: string }>('SELECT name FROM experiments ORDER BY id')).rows.map((r) => r.name),
      }));
      expect(after).toEqual({ oldTable: null, experiments: ['Default', 'kept'] });
      const rows = await ledger(url);
      expectLedgerOfAll(rows);
      expect(rows[0]).toMatchObject({ started_at: oldAppliedAt, finished_at: oldAppliedAt });
      await expectPrismaSeesUpToDate(url);
    },
    2 * CLI_TIMEOUT_MS,
  );

  it('gets the migrations the old ledger lacked, in the same start', async () => {
    const url = await createScratchDatabase('oldpart');
    await migrateTheOldWay(url, MIGRATIONS.slice(0, 2));
    expect(await applyMigrations(url)).toEqual(MIGRATIONS.slice(2));
    expectLedgerOfAll(await ledger(url));
  });
});

/**
 * What the migrations create on purpose and schema.prisma cannot say. Anything else that differs
 * between a database built by the migrations and one built from schema.prisma alone is drift.
 */
const KNOWN_EXTRAS_OF_MIGRATIONS: Record<string, string> = {
  'function registry_notify_change()': 'the NOTIFY trigger function of registry_change_notify: Prisma has no functions',
  'trigger registered_models.registered_models_changed': 'registry_change_notify: Prisma has no triggers',
  'trigger registered_model_tags.registered_model_tags_changed': 'registry_change_notify: Prisma has no triggers',
  'trigger registered_model_aliases.registered_model_aliases_changed': 'registry_change_notify: Prisma has no triggers',
  'trigger model_versions.model_versions_changed': 'registry_change_notify: Prisma has no triggers',
  'trigger model_version_tags.model_version_tags_changed': 'registry_change_notify: Prisma has no triggers',
  'index experiment_tags_key_value_prefix_idx': 'expression index on left(value, 200) (value_indexes_fit): Prisma cannot describe one',
  'index params_key_value_prefix_idx': 'expression index on left(value, 200) (value_indexes_fit): Prisma cannot describe one',
  'index run_tags_key_value_prefix_idx': 'expression index on left(value, 200) (value_indexes_fit): Prisma cannot describe one',
  'index registered_model_tags_key_value_prefix_idx': 'expression index on left(value, 200) (value_indexes_fit): Prisma cannot describe one',
  'index model_version_tags_key_value_prefix_idx': 'expression index on left(value, 200) (value_indexes_fit): Prisma cannot describe one',
  'index latest_metrics_key_value_desc_idx':
    'value DESC NULLS LAST INCLUDE (run_id, is_nan) for search-runs ordered by a metric, descending (scale_indexes): Prisma cannot describe NULLS LAST',
};

/** The public schema's objects, as "kind name" → definition. */
async function describeCatalog(url: string): Promise<Map<string, string>> {
  const queries: Record<string, string> = {
    table: "SELECT relname AS name, '' AS def FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')",
    column: `SELECT c.relname || '.' || a.attname AS name,
                    format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE ' NULL' END
                    || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS def
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`,
    index: "SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'public'",
    constraint: "SELECT conrelid::regclass::text || '.' || conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    enum: "SELECT t.typname AS name, string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) AS def FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname",
    function: "SELECT proname || '(' || pg_get_function_identity_arguments(oid) || ')' AS name, pg_get_functiondef(oid) AS def FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
    trigger: "SELECT tgrelid::regclass::text || '.' || tgname AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text NOT LIKE 'pg_%'",
  };
  const catalog = new Map<string, string>();
  await onDatabase(url, async (c) => {
    for (const [kind, sql] of Object.entries(queries)) {
      for (const { name, def } of (await c.query<{ name: string; def: string }>(sql)).rows) catalog.set(`${kind} ${name}`, def);
    }
  });
  for (const key of [...catalog.keys()]) if (key.includes('_prisma_migrations')) catalog.delete(key);
  return catalog;
}

/** Readable lines for every difference that is not a known extra of the migrations. */
function catalogDrift(fromMigrations: Map<string, string>, fromSchema: Map<string, string>): string[] {
  const drift: string[] = [];
  for (const [key, def] of fromMigrations) {
    if (!fromSchema.has(key) && !(key in KNOWN_EXTRAS_OF_MIGRATIONS)) drift.push(`only the migrations create ${key}: ${def}`);
    else if (fromSchema.has(key) && fromSchema.get(key) !== def) drift.push(`${key} differs: migrations ${def} | schema.prisma ${fromSchema.get(key)}`);
  }
  for (const [key, def] of fromSchema) if (!fromMigrations.has(key)) drift.push(`only schema.prisma has ${key}: ${def} (no migration creates it)`);
  for (const key of Object.keys(KNOWN_EXTRAS_OF_MIGRATIONS)) {
    if (!fromMigrations.has(key)) drift.push(`known extra ${key} is no longer created by the migrations: remove it from the list`);
    else if (fromSchema.has(key)) drift.push(`known extra ${key} is in schema.prisma too: remove it from the list`);
  }
  return drift.sort();
}

describe('the migrations and schema.prisma', () => {
  it(
    'build the same database, apart from the listed extras schema.prisma cannot express',
    async () => {
      const [byMigrations, bySchema] = await Promise.all([createScratchDatabase('bymig'), createScratchDatabase('byschema')]);
      await applyMigrations(byMigrations);
      const diff = await prisma(['migrate', 'diff', '--from-empty', '--to-schema-datamodel', SCHEMA, '--script'], bySchema);
      expect(diff.code).toBe(0);
      await onDatabase(bySchema, (c) => c.query(diff.stdout));
      const fromMigrations = await describeCatalog(byMigrations);
      expect(fromMigrations.get('column runs.experiment_id')).toBe('bigint NOT NULL');
      expect(catalogDrift(fromMigrations, await describeCatalog(bySchema))).toEqual([]);
    },
    2 * CLI_TIMEOUT_MS,
  );
});
