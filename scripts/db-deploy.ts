// Applies pending migrations to DATABASE_URL (the service also does this at start).
import { applyMigrations } from '../src/db/migrate';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('Set DATABASE_URL to the PostgreSQL database to migrate, e.g. postgresql://user:pass@host:5432/registry\n');
  process.exit(2);
}
applyMigrations(url, (m) => process.stdout.write(`${m}\n`))
  .then((applied) => process.stdout.write(applied.length ? `applied ${applied.length} migration(s)\n` : 'schema already up to date\n'))
  .catch((err: unknown) => {
    process.stderr.write(`migration failed: ${String(err)}\n`);
    process.exit(1);
  });
