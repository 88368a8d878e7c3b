import { Prisma } from '@prisma/client';
import { invalidParameter } from '../errors';
import { pageOf } from '../lib/page-token';
import type { VisibleScope } from '../modules/permissions/permissions.service';
import type { Comparator, Comparison, Value } from './filter-parser';

export const STRING_OPS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
export const NUMERIC_OPS: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];

export type NumericType = 'float8' | 'bigint';

/**
 * A number as a bind parameter of the column's type. Numbers travel as text because Prisma rounds
 * number parameters to 15 significant digits. Against a bigint column, a fraction or an integer
 * beyond 2^53 (`1e21`, `99999999999999999999`, `1e309` = Infinity, none of which casts to bigint)
 * is compared as numeric, so it gives the true answer instead of a cast error; float8 takes them all.
 */
export function numberParam(value: number, type: NumericType): Prisma.Sql {
  const cast = type === 'bigint' && !Number.isSafeInteger(value) ? 'numeric' : type;
  return Prisma.sql`${String(value)}::${Prisma.raw(cast)}`;
}

/** `column <op> value` with the value as a bind parameter; `column` is always our own SQL. */
export function compare(column: Prisma.Sql, comparator: Comparator, value: Value, numeric: NumericType = 'float8'): Prisma.Sql {
  switch (comparator) {
    case 'LIKE':
      return Prisma.sql`${column} LIKE ${value}`;
    case 'ILIKE':
      return Prisma.sql`${column} ILIKE ${value}`;
    case 'IN':
      return Prisma.sql`${column} = ANY(${value}::text[])`;
    case 'NOT IN':
      return Prisma.sql`NOT (${column} = ANY(${value}::text[]))`;
    default:
      return Prisma.sql`${column} ${Prisma.raw(comparator)} ${typeof value === 'number' ? numberParam(value, numeric) : value}`;
  }
}

/**
 * The range of strings a LIKE pattern can match, from its literal prefix (the characters before the
 * first unescaped `%` or `_`; `\\` escapes, PostgreSQL's default): every match is at least the
 * prefix and, when the prefix's last code point can be raised, below the prefix with it raised.
 * `whole` when the range has that upper bound and the rest of the pattern is only `%`: then the
 * range holds exactly the matches.
 * Only true in code point order (the C and C.UTF-8 collations): other collations can sort a longer
 * string before its prefix's successor, so callers use it only there. Undefined when the pattern
 * starts with a wildcard.
 */
export function likePrefixRange(pattern: string): { from: string; below?: string; whole: boolean } | undefined {
  const prefix: string[] = [];
  const chars = Array.from(pattern);
  let i = 0;
  for (; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '%' || c === '_') break;
    if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) break; // a trailing escape: PostgreSQL refuses the pattern anyway
      prefix.push(next);
    } else prefix.push(c);
  }
  if (prefix.length === 0) return undefined;
  const from = prefix.join('');
  const rest = chars.slice(i);
  const whole = rest.length > 0 && rest.every((c) => c === '%');
  const last = prefix.at(-1)!.codePointAt(0)!;
  // The next code point, skipping the surrogates (no text holds them); none above U+10FFFF.
  const raised = last === 0xd7ff ? 0xe000 : last + 1;
  if (raised > 0x10ffff) return { from, whole: false };
  return { from, below: prefix.slice(0, -1).join('') + String.fromCodePoint(raised), whole };
}

/**
 * `column LIKE pattern`, bounded by the pattern's prefix range when `codePointOrder` (the database
 * sorts text by code point): the bounds let a btree index on the column start at the prefix instead
 * of reading every row that sorts before it. A pattern that is a prefix and `%` is the range alone:
 * with the LIKE beside it PostgreSQL takes the two for independent and expects a few matches, so
 * it reads and sorts the whole range instead of walking it in order.
 */
export function likeWithin(column: Prisma.Sql, pattern: string, codePointOrder: boolean): Prisma.Sql {
  const like = compare(column, 'LIKE', pattern);
  const range = codePointOrder ? likePrefixRange(pattern) : undefined;
  if (!range) return like;
  if (range.below === undefined) return Prisma.sql`${column} >= ${range.from} AND ${like}`;
  const within = Prisma.sql`${column} >= ${range.from} AND ${column} < ${range.below}`;
  return range.whole ? within : Prisma.sql`${within} AND ${like}`;
}

/**
 * How many leading characters of a tag or param value the (key, left(value, N)) indexes hold
 * (prisma/migrations/20261201200000_value_indexes_fit): a whole value of up to 8,000 characters does
 * not fit a btree entry (2,704 bytes). Must equal the N of those indexes.
 */
export const INDEXED_VALUE_CHARS = 200;
const LEFT_N = Prisma.raw(String(INDEXED_VALUE_CHARS)); // a literal, not a parameter, to match the index

/**
 * compare() on the value column of a tag or param table, plus, for `=` and IN, the same test on the
 * value's first INDEXED_VALUE_CHARS characters, which the planner can match to the index on
 * (key, left(value, N)); the exact comparison stays and decides. LIKE, ILIKE and `!=` stay as they
 * are: they never used the value part of the old (key, value) index either (LIKE needs the C
 * collation for that, and the databases use C.UTF-8), only its key.
 */
export function compareValue(column: Prisma.Sql, comparator: Comparator, value: Value): Prisma.Sql {
  const exact = compare(column, comparator, value);
  if (comparator === '=' && typeof value === 'string') return Prisma.sql`left(${column}, ${LEFT_N}) = left(${value}, ${LEFT_N}) AND ${exact}`;
  if (comparator === 'IN' && Array.isArray(value)) {
    return Prisma.sql`left(${column}, ${LEFT_N}) = ANY(ARRAY(SELECT left(v, ${LEFT_N}) FROM unnest(${value}::text[]) v)) AND ${exact}`;
  }
  return exact;
}

/**
 * Columns by attribute key, as a Map: a key from a request (`constructor`, `__proto__`, `toString`)
 * must never find a member of Object.prototype, as it would in an object literal.
 */
export const columnsByKey = (columns: Record<string, string>): ReadonlyMap<string, string> => new Map(Object.entries(columns));

/** `a, b, c` for error messages. */
export const keyList = (keys: Iterable<string>): string => [...keys].join(', ');

/** How many EXISTS subqueries of one search stay open to PostgreSQL's join planning (see Conditions). */
export const JOINABLE_EXISTS = 3;

const OFFSET_0 = Prisma.sql` OFFSET 0`;

/**
 * The WHERE conditions of one search, where each metric, param or tag comparison is an EXISTS
 * subquery on its table's (id, key) primary key.
 *
 * PostgreSQL turns every top-level EXISTS into a semi-join and then searches the join orders of all
 * of them, which grows exponentially: on PostgreSQL 15 with 5 runs, 4 tag comparisons planned in
 * 13 ms, 8 in 0.5 s, 20 in 4 s, and 300 took 93 s through the API. So only the first
 * JOINABLE_EXISTS stay plain (the planner may still start from a selective (key, left(value)) index), and
 * the rest go, in filter order, into one `CASE WHEN ... THEN TRUE ELSE FALSE END`, which the
 * planner neither pulls up nor splits: one filter of selectivity 0.5 whose subqueries each probe the
 * primary key of a candidate row, stopping at the first that fails. Planning and execution are then
 * linear in the number of comparisons. As separate filters, each would count 0.5 and 30 of them
 * estimate one row, on which the planner built a nested loop that took 78 s on 20,000 runs; and
 * `OFFSET 0` keeps each one correlated, where PostgreSQL could otherwise hash every run with that
 * key in the whole database for each comparison.
 */
export class Conditions {
  private readonly plain: Prisma.Sql[];
  private readonly deferred: Prisma.Sql[] = [];
  private joinable = JOINABLE_EXISTS;

  constructor(initial: Prisma.Sql[] = []) {
    this.plain = [...initial];
  }

  add(condition: Prisma.Sql): void {
    this.plain.push(condition);
  }

  exists(subquery: Prisma.Sql): void {
    this.subquery((fence) => Prisma.sql`EXISTS (${subquery}${fence})`);
  }

  notExists(subquery: Prisma.Sql): void {
    this.subquery((fence) => Prisma.sql`NOT EXISTS (${subquery}${fence})`);
  }

  /** All the conditions joined by AND (TRUE for none). */
  sql(): Prisma.Sql {
    if (this.deferred.length === 0) return and(this.plain);
    return and([...this.plain, Prisma.sql`CASE WHEN ${and(this.deferred)} THEN TRUE ELSE FALSE END`]);
  }

  private subquery(condition: (fence: Prisma.Sql) => Prisma.Sql): void {
    if (this.joinable > 0) {
      this.joinable--;
      this.plain.push(condition(Prisma.empty));
    } else {
      this.deferred.push(condition(OFFSET_0));
    }
  }
}

/** A filter value as the message shows it: `1e+21` and `Infinity` as numbers, not JSON's `null`. */
const shown = (value: Value): string => (typeof value === 'number' ? String(value) : JSON.stringify(value));

export function expectString(c: Comparison, what: string, ops: readonly Comparator[] = STRING_OPS): void {
  if (!ops.includes(c.comparator)) {
    throw invalidParameter(`Invalid comparator '${c.comparator}' for ${what} '${c.key}'; use one of ${ops.join(', ')}.`);
  }
  if ((c.comparator === 'IN' || c.comparator === 'NOT IN') !== Array.isArray(c.value) || (!Array.isArray(c.value) && typeof c.value !== 'string')) {
    throw invalidParameter(`Invalid value ${shown(c.value)} for ${what} '${c.key}': expected a quoted string.`);
  }
}

export function expectNumber(c: Comparison, what: string): void {
  if (!NUMERIC_OPS.includes(c.comparator)) {
    throw invalidParameter(`Invalid comparator '${c.comparator}' for ${what} '${c.key}'; use one of ${NUMERIC_OPS.join(', ')}.`);
  }
  if (typeof c.value !== 'number') {
    throw invalidParameter(`Invalid value ${shown(c.value)} for ${what} '${c.key}': expected a number.`);
  }
}

/** The caller's visible resources as SQL over `idColumn` (ids as text in the grants table). */
export function scopeSql(scope: VisibleScope, idColumn: Prisma.Sql): Prisma.Sql {
  if (scope.kind === 'all') return Prisma.sql`TRUE`;
  const ids = scope.ids.map((id) => BigInt(id));
  if (scope.kind === 'except') return ids.length === 0 ? Prisma.sql`TRUE` : Prisma.sql`NOT (${idColumn} = ANY(${ids}::bigint[]))`;
  return ids.length === 0 ? Prisma.sql`FALSE` : Prisma.sql`${idColumn} = ANY(${ids}::bigint[])`;
}

export function and(parts: Prisma.Sql[]): Prisma.Sql {
  return parts.length === 0 ? Prisma.sql`TRUE` : Prisma.join(parts, ' AND ');
}

export function checkMaxResults(maxResults: number, cap: number): void {
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > cap) {
    throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied. It must be between 1 and ${cap}.`);
  }
}

/** Rows fetched with LIMIT max+1 → the ids of one page and the next page token, if any. */
export function idPage<R, I>(rows: R[], offset: number, maxResults: number, id: (row: R) => I): { ids: I[]; nextPageToken?: string } {
  const page = pageOf(rows, offset, maxResults);
  return { ids: page.items.map(id), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
}

export const direction = (ascending: boolean) => Prisma.raw(ascending ? 'ASC' : 'DESC');
