import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../prisma/migrations');

// Any fixed number: every replica takes the same lock, so two starting at once apply each
// migration exactly once.
const MIGRATION_LOCK_KEY = 727_274_001;

/**
 * Applies prisma/migrations/<name>/migration.sql in name order, each once, recording them in
 * registry_migrations. Idempotent and safe when several replicas start together.
 */
export async function applyMigrations(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  const dirs = (await fs.readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS registry_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM registry_migrations')).rows.map((r) => r.name));
    for (const name of dirs) {
      if (done.has(name)) continue;
      log(`applying migration ${name}`);
      const sql = await fs.readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8');
      await client.query(sql);
      await client.query('INSERT INTO registry_migrations (name) VALUES ($1)', [name]);
      applied.push(name);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
  return applied;
}
