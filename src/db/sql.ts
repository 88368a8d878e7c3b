import { Prisma } from '@prisma/client';
import type { Pool, QueryConfig } from 'pg';
import pg from 'pg';

/** int8 columns and results come back as bigint, as they do from Prisma's raw queries. */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (v: string) => BigInt(v);
    return pg.types.getTypeParser(oid, format);
  },
};

type SqlInput = [Prisma.Sql] | [TemplateStringsArray, ...unknown[]];

const toSql = (input: SqlInput): Prisma.Sql =>
  Array.isArray(input[0]) ? Prisma.sql(input[0] as TemplateStringsArray, ...(input.slice(1) as Prisma.Sql[])) : (input[0] as Prisma.Sql);

/**
 * Parameterised SQL run straight on the pg pool that Prisma's driver adapter shares.
 *
 * For the hot paths only (tracking writes, run and model reads, permission checks): a Prisma raw
 * query costs about 0.5 ms of CPU in its query compiler and a model query 1.5-2.5 ms, against 0.1 ms
 * here, and one Node process serves every request (README "Performance"). Statements are built with
 * `Prisma.sql`, so they read like `$queryRaw` and values are always bound parameters. Numbers are
 * sent as text (`String(n)`), never rounded. Each statement is its own transaction: what must be
 * atomic is written as one statement (CTEs), or goes through Prisma's `$transaction`.
 *
 * Statements are prepared once per connection (named), so PostgreSQL parses and plans the
 * log-batch CTE once instead of on every request: this halves its CPU per tracking write. Hot
 * statements keep a fixed text (arrays go in as one `= ANY($n)` parameter, not as a list), and at
 * most MAX_PREPARED distinct texts are prepared, so PostgreSQL's memory per connection stays bounded.
 */
export class SqlExecutor {
  static readonly MAX_PREPARED = 100;
  private readonly names = new Map<string, string>();
  private adhocExecutor: SqlExecutor | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly prepare = true,
  ) {}

  /**
   * The same pool, never preparing: for statements whose text varies with the request (searches
   * built from filter strings), so they cannot crowd the hot statements out of the prepared set.
   */
  get adhoc(): SqlExecutor {
    return this.prepare ? (this.adhocExecutor ??= new SqlExecutor(this.pool, false)) : this;
  }

  /** Rows of a query: `sql.query<Row>\`SELECT ... WHERE id = ${id}\`` or `sql.query<Row>(Prisma.sql\`...\`)`. */
  async query<T>(...input: SqlInput): Promise<T[]> {
    return (await this.pool.query<T & pg.QueryResultRow>(this.config(toSql(input)))).rows;
  }

  /** The number of rows a statement changed. */
  async execute(...input: SqlInput): Promise<number> {
    return (await this.pool.query(this.config(toSql(input)))).rowCount ?? 0;
  }

  private config(q: Prisma.Sql): QueryConfig {
    const text = q.text;
    let name = this.names.get(text);
    if (name === undefined && this.prepare && this.names.size < SqlExecutor.MAX_PREPARED) {
      name = `registry_${this.names.size}`;
      this.names.set(text, name);
    }
    return { name, text, values: q.values, types: typeParsers };
  }
}
