// Applies pending migrations to DATABASE_URL (the service also does this at start), recording them
// in _prisma_migrations, so `prisma migrate status` reads the same ledger.
import { parseCommandLine, withUsage } from '../src/cli/args';
import { ConfigError } from '../src/config';
import { applyMigrations } from '../src/db/migrate';
import { loadEnvFile } from '../src/env-file';

withUsage('usage: npm run db:deploy   (migrates the database DATABASE_URL names, from the environment or .env)', () => parseCommandLine(process.argv.slice(2), {}));
try {
  loadEnvFile();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('Set DATABASE_URL to the PostgreSQL database to migrate, e.g. postgresql://user:pass@host:5432/registry\n');
  process.exit(2);
}
applyMigrations(
  url,
  (m) => process.stdout.write(`${m}\n`),
  (m) => process.stderr.write(`warning: ${m}\n`),
)
  .then((applied) => process.stdout.write(applied.length ? `applied ${applied.length} migration(s)\n` : 'schema already up to date\n'))
  .catch((err: unknown) => {
    process.stderr.write(`migration failed: ${String(err)}\n`);
    process.exit(1);
  });
