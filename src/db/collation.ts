import type { SqlExecutor } from './sql';

/**
 * Whether the database sorts text by code point: its default collation is libc's C, POSIX or
 * C.UTF-8, not ICU's and not a language's. Searches then bound a LIKE prefix to an index range
 * (src/search/sql.ts likeWithin). `datlocprovider` exists from PostgreSQL 15 on; before it every
 * collation is libc's.
 */
export async function sortsByCodePoint(sql: SqlExecutor): Promise<boolean> {
  const [row] = await sql.query<{ collate: string; provider: string | null }>`
    SELECT datcollate AS collate, to_jsonb(d)->>'datlocprovider' AS provider FROM pg_database d WHERE datname = current_database()`;
  if (!row || (row.provider !== null && row.provider !== 'c')) return false;
  return /^(C|POSIX|C\.UTF-?8)$/i.test(row.collate);
}

/** sortsByCodePoint, asked once; a failed answer is asked again next time. */
export function codePointOrderOf(sql: SqlExecutor): () => Promise<boolean> {
  let answer: Promise<boolean> | undefined;
  return () => {
    answer ??= sortsByCodePoint(sql).catch((err: unknown) => {
      answer = undefined;
      throw err;
    });
    return answer;
  };
}
