import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { Pool } from 'pg';
import { SqlExecutor } from './sql';

export type { PrismaClient };

export interface Database {
  prisma: PrismaClient;
  /** The same pool without Prisma, for the hot paths (src/db/README.md says which). */
  sql: SqlExecutor;
  /** The pg pool itself, for its gauges (total, idle, waiting). */
  pool: Pool;
  close(): Promise<void>;
}

/**
 * One client (and connection pool) per container: tests build their own against their own database.
 *
 * Each connection tells the planner that random reads cost about as much as sequential ones
 * (random_page_cost 1.1, the usual setting for SSD storage instead of PostgreSQL's spinning-disk
 * default of 4). With the default it scans all runs of a large experiment instead of following the
 * metric/param/tag indexes to the few runs a filter selects (test/integration/search-plans.test.ts).
 *
 * JIT compilation is off: it pays for long analytical queries, and costs the API's searches more
 * than they take to run (a 100-term filter on 20,000 runs: 0.6 s without, 4 s with).
 *
 * No statement of the API runs longer than `statementTimeoutMs` (DATABASE_STATEMENT_TIMEOUT_MS): a
 * query that a client gave up on, or one that went wrong, cannot hold a pooled connection for long.
 */
export function createDatabase(databaseUrl: string, poolSize = 10, statementTimeoutMs = 30_000, onQuery?: (seconds: number) => void): Database {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: poolSize,
    // A database that accepts connections but never answers (a half-open network path) must not
    // keep requests waiting for a connection forever: they get 503 after this.
    connectionTimeoutMillis: 5000,
    options: `-c random_page_cost=1.1 -c jit=off -c statement_timeout=${statementTimeoutMs}`,
  });
  // An idle connection the server closed (restart, failover): the pool drops it and opens a new one.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    sql: new SqlExecutor(pool, true, onQuery),
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
