import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { Pool } from 'pg';
import { SqlExecutor } from './sql';

export type { PrismaClient };

export interface Database {
  prisma: PrismaClient;
  /** The same pool without Prisma, for the hot paths (see SqlExecutor). */
  sql: SqlExecutor;
  close(): Promise<void>;
}

/**
 * One client (and connection pool) per container: tests build their own against their own database.
 *
 * Each connection tells the planner that random reads cost about as much as sequential ones
 * (random_page_cost 1.1, the usual setting for SSD storage instead of PostgreSQL's spinning-disk
 * default of 4). With the default it scans all runs of a large experiment instead of following the
 * metric/param/tag indexes to the few runs a filter selects (test/integration/search-plans.test.ts).
 */
export function createDatabase(databaseUrl: string, poolSize = 10): Database {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize, options: '-c random_page_cost=1.1' });
  // An idle connection the server closed (restart, failover): the pool drops it and opens a new one.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    sql: new SqlExecutor(pool),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
