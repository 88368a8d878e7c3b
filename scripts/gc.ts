// Removes for good what was deleted (soft) longer ago than --older-than, with its artifacts, and
// orphaned artifacts (README "Garbage collection"). MLflow's `mlflow gc` options where they apply.
// npm run gc -- [--older-than 30d] [--dry-run] [--experiment-ids 1,2] [--run-ids <id>,<id>]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { configOrExit } from '../src/cli/args';
import { createContainer } from '../src/container';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { RegistryError } from '../src/errors';
import { createLogger } from '../src/logger';
import { parseOlderThan } from '../src/modules/gc/gc.schemas';
import type { GcProgress, GcReport } from '../src/modules/gc/gc.service';

const USAGE =
  'usage: npm run gc -- [--older-than 30d] [--dry-run] [--experiment-ids 1,2] [--run-ids <run_id>,...]\n' +
  '  --older-than      deleted longer ago than this (30d, 1d12h, 90m, 3600s; 0 = everything deleted); default GC_RETENTION\n' +
  '  --dry-run         print what would go (counts and bytes), change nothing\n' +
  '  --experiment-ids  only these experiments (their runs, logged models, orphaned files)\n' +
  '  --run-ids         only these runs\n';

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

let values: { 'older-than'?: string; 'dry-run'?: boolean; 'experiment-ids'?: string; 'run-ids'?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      'older-than': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'experiment-ids': { type: 'string' },
      'run-ids': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  usage((err as Error).message);
}
if (values.help) usage();

const ids = (text: string | undefined, pattern: RegExp, what: string): string[] | undefined => {
  if (text === undefined) return undefined;
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((s) => !pattern.test(s));
  if (bad !== undefined || list.length === 0) usage(`--${what}: '${bad ?? text}' is not a valid id`);
  return list;
};
const experimentIds = ids(values['experiment-ids'], /^\d{1,18}$/, 'experiment-ids')?.map((s) => BigInt(s).toString());
const runIds = ids(values['run-ids'], /^[0-9a-f]{32}$/, 'run-ids');

const config = configOrExit();
const olderThanMs = values['older-than'] === undefined ? config.gc.retentionSeconds * 1000 : parseOlderThan(values['older-than']);
if (olderThanMs === undefined) usage(`--older-than ${values['older-than']} is not a duration: give one such as 30d, 1d12h, 90m, 3600s or 0.`);

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
function bytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

/** One line redrawn in place on a terminal; nothing when stderr is not one. */
function progressLine(p: GcProgress): void {
  if (!process.stderr.isTTY) return;
  const width = 24;
  const bar =
    p.total !== undefined && p.total > 0
      ? `[${'#'.repeat(Math.round((Math.min(p.done, p.total) / p.total) * width)).padEnd(width, '.')}] ${p.done}/${p.total}`
      : `${p.done} ${p.phase === 'orphans' ? 'files looked at' : p.phase === 'incomplete-uploads' ? 'aborted' : p.phase === 'webhook-log' ? 'deliveries' : 'done'}`;
  const line = `${p.phase.padEnd(14)} ${bar}  ${p.files} files, ${bytes(p.bytes)}`;
  process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1).padEnd(Math.min(99, (process.stderr.columns || 100) - 1))}`);
}

function printReport(r: GcReport): void {
  const verb = r.dryRun ? 'would remove' : 'removed';
  const row = (what: string, t: { count: number; files: number; bytes: number }) =>
    `  ${what.padEnd(16)} ${String(t.count).padStart(7)}   ${String(t.files).padStart(8)} files   ${bytes(t.bytes).padStart(10)}\n`;
  process.stdout.write(
    `${r.dryRun ? 'Dry run: nothing was changed.\n' : ''}Deleted before ${new Date(r.cutoffMs).toISOString()}, ${verb}:\n` +
      row('runs', r.runs) +
      row('logged models', r.loggedModels) +
      row('experiments', r.experiments) +
      `  ${'model versions'.padEnd(16)} ${String(r.modelVersions.count).padStart(7)}\n` +
      row('orphaned files', r.orphans) +
      `  ${'unfinished uploads'.padEnd(16)} ${String(r.incompleteUploads.count).padStart(7)}   ${''.padStart(14)}   ${bytes(r.incompleteUploads.bytes).padStart(10)}\n` +
      (r.webhookLog.cutoffMs !== undefined
        ? `  webhook deliveries finished before ${new Date(r.webhookLog.cutoffMs).toISOString()} (WEBHOOK_LOG_RETENTION): ${r.webhookLog.deliveries}, with ${r.webhookLog.events} events\n`
        : '') +
      `  kept: ${r.kept.files} files (${bytes(r.kept.bytes)}) that live model versions point at\n` +
      (r.stopped ? 'Stopped early; run again to finish.\n' : ''),
  );
}

async function main(): Promise<number> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  let databaseUrl = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!databaseUrl) {
    try {
      const embedded = await startEmbeddedPostgres(config.dataDir, logger);
      databaseUrl = embedded.url;
      stopEmbedded = () => embedded.stop(10_000);
    } catch (err) {
      process.stderr.write(
        `DATABASE_URL is not set and the embedded PostgreSQL under DATA_DIR could not be started (${(err as Error).message.split('\n')[0]}).\n` +
          'If the service is running on it, call its endpoint instead: POST /api/2.0/registry/gc with an admin token.\n',
      );
      return 2;
    }
  }
  // No LISTEN connection (the collector does not read the registered-model cache), and no token is ever
  // verified here: a throwaway key satisfies the container when the service's own is in DATA_DIR.
  const jwt = config.jwt.secret || config.jwt.publicKey || config.jwt.jwksUrl ? config.jwt : { ...config.jwt, secret: randomBytes(32).toString('hex') };
  const container = await createContainer({ ...config, jwt, registeredModelCacheSize: 0 }, logger, { databaseUrl });
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping after the current batch (Ctrl-C again to quit at once)\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  try {
    const report = await container.gc.run({ olderThanMs: olderThanMs!, dryRun: values['dry-run'], experimentIds, runIds, signal: abort.signal, onProgress: progressLine });
    if (process.stderr.isTTY) process.stderr.write('\n');
    printReport(report);
    return 0;
  } catch (err) {
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (err instanceof RegistryError && err.code === 'RESOURCE_CONFLICT') {
      process.stderr.write(`${err.message}\n`);
      return 3;
    }
    throw err;
  } finally {
    await container.dispose();
    await stopEmbedded?.();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`garbage collection failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
