// Writes prisma/migrations/<timestamp>_<name>/migration.sql from the difference between the
// schema at git HEAD and the working prisma/schema.prisma (no database needed; TOOLCHAIN.md).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandLine, UsageError, withUsage } from '../src/cli/args';

const USAGE = 'usage: npm run db:new-migration -- <snake_case_name>';
const name = withUsage(USAGE, () => {
  const parsed = parseCommandLine(process.argv.slice(2), {}, 1);
  if (parsed === 'help') return parsed;
  const [given] = parsed.positionals;
  if (!given) throw new UsageError('the migration needs a name');
  if (!/^[a-z0-9_]+$/.test(given)) throw new UsageError(`'${given}' is not a snake_case name (a-z, 0-9, _)`);
  return given;
});
const root = path.resolve(__dirname, '..');
const previous = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schema-')), 'schema.prisma');
fs.writeFileSync(previous, execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { cwd: root }));
const sql = execFileSync(
  process.execPath,
  [
    path.join(root, 'node_modules/prisma/build/index.js'),
    'migrate',
    'diff',
    '--from-schema-datamodel',
    previous,
    '--to-schema-datamodel',
    path.join(root, 'prisma/schema.prisma'),
    '--script',
  ],
  {
    cwd: root,
    // The CLI's schema engine runs through prisma.config.ts's adapter, so it needs a reachable
    // PostgreSQL (any database; nothing is changed); the /bin/false engines stop download attempts.
    env: {
      ...process.env,
      DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
      PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false',
      PRISMA_QUERY_ENGINE_LIBRARY: '/bin/false',
    },
  },
).toString();
if (!/\S/.test(sql.replace(/^--.*$/gm, ''))) {
  process.stdout.write('schema.prisma has no changes since HEAD; nothing to write\n');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
const dir = path.join(root, 'prisma/migrations', `${stamp}_${name}`);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
process.stdout.write(`wrote ${path.relative(root, dir)}/migration.sql\n`);
