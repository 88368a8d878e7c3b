import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../prisma/migrations');

// The service applies the migration files itself (Prisma's schema engine cannot run the `$$`
// body of registry_change_notify through the driver adapter), but records them exactly as
// `prisma migrate deploy` does, so `prisma migrate status` and `deploy` read the same ledger.
const LEDGER_TABLE = '_prisma_migrations';

// The table as Prisma's schema engine creates it on PostgreSQL (same columns, types, defaults).
const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** The ledger releases before this one kept: names only. Carried over once, then dropped. */
const OLD_LEDGER_TABLE = 'registry_migrations';

// Both taken, in this order, by every replica. 72707369 is the key Prisma's schema engine locks
// (`prisma migrate deploy` run by hand waits for a starting replica and the other way round);
// 727274001 is the key releases before this one took, so they cannot race a rolling upgrade.
const MIGRATION_LOCK_KEYS = [727_274_001, 72_707_369] as const;

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
  /** The file's checksum and those of it with other line endings, which Prisma also accepts. */
  acceptedChecksums: Set<string>;
}

interface LedgerRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies prisma/migrations/<name>/migration.sql in name order, each once, recording them in
 * Prisma's _prisma_migrations. Idempotent and safe when several replicas start together: all of it
 * (carrying over the old ledger too) is one transaction under an advisory lock. Returns the names
 * it applied. `warn` hears what does not stop the start (an edited migration file).
 */
export async function applyMigrations(databaseUrl: string, log: (msg: string) => void = () => {}, warn: (msg: string) => void = log): Promise<string[]> {
  const files = await readMigrationFiles();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const key of MIGRATION_LOCK_KEYS) await client.query('SELECT pg_advisory_xact_lock($1)', [key]);
    await client.query(CREATE_LEDGER);
    await carryOverOldLedger(client, files, log);
    const done = await appliedMigrations(client);
    warnAboutEditedMigrations(files, done, warn);
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file.name)) continue;
      log(`applying migration ${file.name}`);
      await applyOne(client, file);
      applied.push(file.name);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

/** sha256 of the file's bytes, in lower-case hex: the checksum Prisma records and compares. */
export function migrationChecksum(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readMigrationFiles(): Promise<MigrationFile[]> {
  const names = (await fs.readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await fs.readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql'));
      const sql = bytes.toString('utf8');
      const checksum = migrationChecksum(bytes);
      // A checkout on Windows may turn \n into \r\n; Prisma counts that as the same file.
      const otherLineEndings = [sql.replaceAll('\r\n', '\n'), sql.replaceAll('\n', '\r\n')].map(migrationChecksum);
      return { name, sql, checksum, acceptedChecksums: new Set([checksum, ...otherLineEndings]) };
    }),
  );
}

/**
 * The migrations that count as applied, by name. Prisma's rules: a rolled-back row does not count
 * (the migration is pending again); a row that started and never finished is a failed migration,
 * which Prisma refuses to build on (P3009), and so does the service.
 */
async function appliedMigrations(client: Client): Promise<Map<string, LedgerRow>> {
  const { rows } = await client.query<LedgerRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL ORDER BY started_at');
  const failed = rows.find((r) => r.finished_at === null);
  if (failed) {
    throw new Error(
      `migration ${failed.migration_name} started and did not finish (a failed \`prisma migrate deploy\`?); ` +
        `repair the database, then mark it with \`prisma migrate resolve --applied ${failed.migration_name}\` or \`--rolled-back ${failed.migration_name}\``,
    );
  }
  return new Map(rows.map((r) => [r.migration_name, r]));
}

/** Prisma only warns about an applied migration whose file changed since; so does the service. */
function warnAboutEditedMigrations(files: MigrationFile[], done: Map<string, LedgerRow>, warn: (msg: string) => void): void {
  for (const file of files) {
    const row = done.get(file.name);
    if (row && row.checksum !== '' && !file.acceptedChecksums.has(row.checksum)) {
      warn(`migration ${file.name} was modified after it was applied (checksum ${row.checksum} recorded, file has ${file.checksum}); it is not applied again`);
    }
  }
}

async function applyOne(client: Client, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  // clock_timestamp(), not now(): now() is the transaction's start, the same for every migration.
  await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, clock_timestamp())', [id, file.checksum, file.name]);
  await client.query(file.sql);
  await client.query('UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1', [id]);
}

/**
 * Moves the names recorded in registry_migrations into _prisma_migrations (applied at the time the
 * old ledger says, with the checksum of the file as it is now) and drops the old table, so a
 * database migrated by an earlier release runs none of its migrations again.
 */
async function carryOverOldLedger(client: Client, files: MigrationFile[], log: (msg: string) => void): Promise<void> {
  const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [OLD_LEDGER_TABLE]);
  if (!exists.rows[0]?.found) return;
  const old = await client.query<{ name: string; applied_at: Date }>(`SELECT name, applied_at FROM ${OLD_LEDGER_TABLE} ORDER BY name`);
  const recorded = await appliedMigrations(client);
  const checksums = new Map(files.map((f) => [f.name, f.checksum]));
  for (const { name, applied_at } of old.rows) {
    if (recorded.has(name)) continue;
    // A name whose file is gone keeps an empty checksum: there is nothing to compare it with,
    // and `prisma migrate status` names it as applied but missing locally, which it is.
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, $4, $4, 1)`,
      [randomUUID(), checksums.get(name) ?? '', name, applied_at],
    );
  }
  await client.query(`DROP TABLE ${OLD_LEDGER_TABLE}`);
  log(`moved ${old.rows.length} migration record(s) from ${OLD_LEDGER_TABLE} to ${LEDGER_TABLE}`);
}
