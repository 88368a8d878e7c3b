import { Prisma } from '@prisma/client';
import type { CustomTypesConfig, Pool, QueryConfig } from 'pg';
import pg from 'pg';
import { RegistryError } from '../errors';
import { clientSignal } from '../lib/client-signal';

/** int8 columns and results come back as bigint, as they do from Prisma's raw queries. */
const typeParsers: CustomTypesConfig = {
  getTypeParser(oid, format) {
    if (oid === pg.types.builtins.INT8) return (v: string) => BigInt(v);
    // pg-types declares its parsers as `any`; each one takes the column's text (or binary) value.
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

type SqlInput = [Prisma.Sql] | [TemplateStringsArray, ...unknown[]];

const toSql = (input: SqlInput): Prisma.Sql => (Array.isArray(input[0]) ? Prisma.sql(input[0] as TemplateStringsArray, ...(input.slice(1) as Prisma.Sql[])) : (input[0] as Prisma.Sql));

/**
 * The raw statements of a database handle: a Prisma client or transaction has them, and so does a
 * transaction of SqlExecutor's. Code that writes only raw SQL inside a transaction takes this, so it
 * runs on either (src/db/README.md rule 4).
 */
export interface RawDb {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): PromiseLike<T>;
  $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): PromiseLike<number>;
}

/**
 * Parameterised SQL run straight on the pg pool that Prisma's driver adapter shares.
 *
 * For the hot paths only; which those are, and what goes through Prisma instead, is the data-access
 * rule in src/db/README.md. A Prisma raw query costs about 0.5 ms of CPU in its query compiler and a
 * model query 1.5-2.5 ms, against 0.1 ms here, and one Node process serves every request (README
 * "Performance"). Statements are built with `Prisma.sql`, so they read like `$queryRaw` and values
 * are always bound parameters. Numbers are sent as text (`String(n)`), never rounded. Each statement
 * is its own transaction and cannot join a Prisma `$transaction`: what must be atomic is written as
 * one statement (CTEs), or goes through `$transaction` with every statement on its `tx`.
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
    /** Told how long each query() took, in seconds (the metrics' histogram). */
    private readonly onQuery?: (seconds: number) => void,
  ) {}

  /**
   * The same pool, never preparing: for statements whose text varies with the request (searches
   * built from filter strings), so they cannot crowd the hot statements out of the prepared set.
   */
  get adhoc(): SqlExecutor {
    return this.prepare ? (this.adhocExecutor ??= new SqlExecutor(this.pool, false, this.onQuery)) : this;
  }

  /** Rows of a query: `sql.query<Row>\`SELECT ... WHERE id = ${id}\`` or `sql.query<Row>(Prisma.sql\`...\`)`. */
  async query<T>(...input: SqlInput): Promise<T[]> {
    return this.timed(() => this.rows<T>(input));
  }

  /** Runs one statement, telling onQuery how long it took. */
  private async timed<R>(statement: () => Promise<R>): Promise<R> {
    if (!this.onQuery) return statement();
    const started = performance.now();
    try {
      return await statement();
    } finally {
      this.onQuery((performance.now() - started) / 1000);
    }
  }

  private async rows<T>(input: SqlInput): Promise<T[]> {
    const signal = this.prepare ? undefined : clientSignal();
    if (signal) return this.cancellable<T>(this.config(toSql(input)), signal);
    return (await this.pool.query<T & pg.QueryResultRow>(this.config(toSql(input)))).rows;
  }

  /**
   * An ad-hoc statement (a search) for a request whose client may leave: when it does, the statement
   * is cancelled (pg_cancel_backend from another connection) instead of running on, holding a pooled
   * connection, for an answer nobody reads.
   */
  private async cancellable<T>(query: QueryConfig, signal: AbortSignal): Promise<T[]> {
    if (signal.aborted) throw new RegistryError('CANCELLED', 'The client went away before the query started.');
    const client = await this.pool.connect();
    const pid = (client as unknown as { processID: number }).processID;
    let failed: Error | undefined;
    const cancel = () => {
      // The connection is dropped, never reused, so a cancel that arrives late cannot hit another request's statement.
      failed ??= new Error('cancelled: the client went away');
      void this.pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    };
    signal.addEventListener('abort', cancel, { once: true });
    try {
      return (await client.query<T & pg.QueryResultRow>(query)).rows;
    } catch (err) {
      failed ??= err instanceof Error ? err : new Error(String(err));
      // Cancelled for a client that left: nobody reads the answer, and it is no failure of ours.
      if (signal.aborted) throw new RegistryError('CANCELLED', 'The client went away; its query was cancelled.', { cause: err });
      throw err;
    } finally {
      signal.removeEventListener('abort', cancel);
      // After a failure the connection may be broken (or mid-cancel): the pool drops it and opens another.
      client.release(failed);
    }
  }

  /** The number of rows a statement changed. */
  async execute(...input: SqlInput): Promise<number> {
    return (await this.pool.query(this.config(toSql(input)))).rowCount ?? 0;
  }

  /**
   * Statements that must be atomic, on one pooled connection between BEGIN and COMMIT (ROLLBACK
   * when `fn` throws): a Prisma interactive `$transaction` costs about 1.7 ms of CPU of its own
   * here, this about 0.1 ms a statement. `fn` gets the connection as a RawDb, so repositories
   * written for a Prisma `tx` run on it unchanged; statements are prepared as everywhere here.
   */
  async transaction<T>(fn: (tx: RawDb) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const run = (q: Prisma.Sql) => this.timed(() => client.query<pg.QueryResultRow>(this.config(q)));
    const tx: RawDb = {
      $queryRaw: async <R>(...input: SqlInput) => (await run(toSql(input))).rows as R,
      $executeRaw: async (...input: SqlInput) => (await run(toSql(input))).rowCount ?? 0,
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection whose ROLLBACK fails is in no known state: the pool drops it.
      await client.query('ROLLBACK').catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
      throw err;
    } finally {
      client.release(broken);
    }
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
