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
 * number parameters to 15 significant digits; a fractional value against a bigint column is
 * compared as numeric.
 */
export function numberParam(value: number, type: NumericType): Prisma.Sql {
  const cast = type === 'bigint' && !Number.isInteger(value) ? 'numeric' : type;
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
      return Prisma.sql`${column} = ANY(${value as string[]}::text[])`;
    case 'NOT IN':
      return Prisma.sql`NOT (${column} = ANY(${value as string[]}::text[]))`;
    default:
      return Prisma.sql`${column} ${Prisma.raw(comparator)} ${typeof value === 'number' ? numberParam(value, numeric) : value}`;
  }
}

export function expectString(c: Comparison, what: string, ops: readonly Comparator[] = STRING_OPS): void {
  if (!ops.includes(c.comparator)) {
    throw invalidParameter(`Invalid comparator '${c.comparator}' for ${what} '${c.key}'; use one of ${ops.join(', ')}.`);
  }
  if ((c.comparator === 'IN' || c.comparator === 'NOT IN') !== Array.isArray(c.value) || (!Array.isArray(c.value) && typeof c.value !== 'string')) {
    throw invalidParameter(`Invalid value ${JSON.stringify(c.value)} for ${what} '${c.key}': expected a quoted string.`);
  }
}

export function expectNumber(c: Comparison, what: string): void {
  if (!NUMERIC_OPS.includes(c.comparator)) {
    throw invalidParameter(`Invalid comparator '${c.comparator}' for ${what} '${c.key}'; use one of ${NUMERIC_OPS.join(', ')}.`);
  }
  if (typeof c.value !== 'number') {
    throw invalidParameter(`Invalid value ${JSON.stringify(c.value)} for ${what} '${c.key}': expected a number.`);
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
