import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import type { Request, Response } from 'express';
import { Client } from 'pg';
import type { Logger } from '../logger';

/**
 * GET /ready: whether this process can serve requests now. /health only says the process answers
 * (liveness); this checks what requests need, each check bounded by READY_TIMEOUT_MS:
 *
 * - database: a connection of its own (not the pool's, whose connects wait without a bound) and a query;
 * - migrations: every migration this build ships is recorded as applied (the same query);
 * - artifact_store: the S3 bucket answers, or the local artifact directory is writable.
 *
 * 200 {"status": "ready", "checks": {...}} names what was checked; 503 {"status": "unavailable",
 * "down": [...], "checks": {...}} names what is down and why, in words that carry no host names or
 * credentials (the route needs no token). While the process shuts down it answers 503 too, so a
 * load balancer stops sending it requests.
 *
 * Probes from many balancers cost one check: answers are shared for READY_CACHE_MS, and a check still
 * running (a store that does not answer) is awaited again, for up to REUSE_TIMEOUTS times
 * READY_TIMEOUT_MS, rather than started a second time.
 */
export const READY_CACHE_MS = 1000;
const REUSE_TIMEOUTS = 5;

export interface ReadinessReport {
  ready: boolean;
  body: {
    status: 'ready' | 'unavailable' | 'shutting down';
    down?: string[];
    checks: Record<string, string>;
  };
}

export interface ReadinessProbes {
  /** Names of the applied migrations (rejects if the database cannot be reached). */
  appliedMigrations(): Promise<string[]>;
  /** Migrations this build ships (prisma/migrations). */
  expectedMigrations: readonly string[];
  /** Resolves when the artifact store answers. */
  artifactStore(): Promise<void>;
  /** 's3' or 'local', shown in the report. */
  artifactStoreKind: string;
}

/** A check that took longer than allowed. */
class TimedOut extends Error {}

/** The table a database that was never migrated lacks. */
const UNDEFINED_TABLE = '42P01';

export class Readiness {
  /** Set by main.ts when the process begins to shut down. */
  shuttingDown = false;
  private cached: { at: number; report: Promise<ReadinessReport> } | undefined;
  private readonly running = new Map<string, { since: number; result: Promise<unknown> }>();
  private lastReady: boolean | undefined;

  constructor(
    private readonly probes: ReadinessProbes,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  report(): Promise<ReadinessReport> {
    if (this.shuttingDown) {
      return Promise.resolve({ ready: false, body: { status: 'shutting down', down: ['server'], checks: { server: 'shutting down' } } });
    }
    const now = performance.now();
    if (!this.cached || now - this.cached.at > READY_CACHE_MS) this.cached = { at: now, report: this.check() };
    return this.cached.report;
  }

  private async check(): Promise<ReadinessReport> {
    const [migrations, store] = await Promise.allSettled([
      this.bounded('database', () => this.probes.appliedMigrations()),
      this.bounded('artifact_store', () => this.probes.artifactStore()),
    ]);
    const checks: Record<string, string> = {};
    const down: string[] = [];
    if (migrations.status === 'fulfilled') {
      checks.database = 'ok';
      const applied = new Set(migrations.value);
      const pending = this.probes.expectedMigrations.filter((m) => !applied.has(m));
      if (pending.length === 0) checks.migrations = `ok (${this.probes.expectedMigrations.length} applied)`;
      else {
        checks.migrations = `${pending.length} not applied (first: ${pending[0]}); restart the service or run npm run db:deploy`;
        down.push('migrations');
      }
    } else if (codeOf(migrations.reason) === UNDEFINED_TABLE) {
      checks.database = 'ok';
      checks.migrations = 'none applied (the database has no _prisma_migrations table); restart the service or run npm run db:deploy';
      down.push('migrations');
    } else {
      checks.database = `unreachable: ${reasonOf(migrations.reason, this.timeoutMs)}`;
      checks.migrations = 'not checked: the database is unreachable';
      down.push('database', 'migrations');
    }
    if (store.status === 'fulfilled') checks.artifact_store = `ok (${this.probes.artifactStoreKind})`;
    else {
      checks.artifact_store = `unreachable (${this.probes.artifactStoreKind}): ${reasonOf(store.reason, this.timeoutMs)}`;
      down.push('artifact_store');
    }
    const ready = down.length === 0;
    if (ready !== this.lastReady) {
      if (ready) this.logger.info({ checks }, 'ready');
      else this.logger.warn({ down, checks, err: migrations.status === 'rejected' ? migrations.reason : store.status === 'rejected' ? store.reason : undefined }, 'not ready');
      this.lastReady = ready;
    }
    return ready ? { ready, body: { status: 'ready', checks } } : { ready, body: { status: 'unavailable', down, checks } };
  }

  /** One run of a check at a time (unless the one running is old), waited for at most timeoutMs by each report. */
  private bounded<T>(name: string, run: () => Promise<T>): Promise<T> {
    const now = performance.now();
    let entry = this.running.get(name);
    if (!entry || now - entry.since > REUSE_TIMEOUTS * this.timeoutMs) {
      const current = { since: now, result: run() };
      entry = current;
      this.running.set(name, current);
      const done = () => {
        if (this.running.get(name) === current) this.running.delete(name);
      };
      current.result.then(done, done);
    }
    const p = entry.result as Promise<T>;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimedOut()), this.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short reason: an error code or a timeout, never a message (those may carry host names). */
function reasonOf(err: unknown, timeoutMs: number): string {
  if (err instanceof TimedOut) return `no answer within ${timeoutMs} ms`;
  // The store wraps backend failures (TEMPORARILY_UNAVAILABLE); the backend's own code says more.
  const code = codeOf((err as { cause?: unknown } | undefined)?.cause) ?? codeOf(err);
  return code ? `error ${code}` : 'error';
}

/**
 * The applied migrations, over a connection of its own. The report stops waiting after timeoutMs;
 * the connection gives up a little later (so that the report says "no answer", not pg's words).
 */
export async function queryAppliedMigrations(databaseUrl: string, timeoutMs: number): Promise<string[]> {
  const giveUpMs = timeoutMs + 1000;
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: giveUpMs, query_timeout: giveUpMs, application_name: 'registry readiness check' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // Prisma's ledger (src/db/migrate.ts): a rolled-back or unfinished row is not an applied migration.
    const applied = await client.query<{ name: string }>('SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
    return applied.rows.map((r) => r.name);
  } finally {
    // Not awaited: with a server that stopped answering, the goodbye would wait as long.
    client.end().catch(() => undefined);
  }
}

/** The migrations this build ships, as migrate.ts finds them. */
export async function shippedMigrations(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** The local artifact directory: present and writable. */
export async function checkDirectoryWritable(dir: string): Promise<void> {
  await fs.access(dir, fsConstants.R_OK | fsConstants.W_OK);
  if (!(await fs.stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
}

/** The /ready route (app.ts). */
export function readyRoute(readiness: Readiness) {
  return async (_req: Request, res: Response): Promise<void> => {
    const { ready, body } = await readiness.report();
    res.status(ready ? 200 : 503).setHeader('Cache-Control', 'no-store');
    res.json(body);
  };
}
