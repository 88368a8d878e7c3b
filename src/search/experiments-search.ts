import { Prisma } from '@prisma/client';
import type { SqlExecutor } from '../db/sql';
import { invalidParameter } from '../errors';
import { LIMITS } from '../http/limits';
import { decodePageToken } from '../lib/page-token';
import type { VisibleScope } from '../modules/permissions/permissions.service';
import { parseFilter, parseOrderBy } from './filter-parser';
import { and, checkMaxResults, idPage, compare, direction, expectNumber, expectString, scopeSql } from './sql';

export interface SearchExperimentsQuery {
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
  viewType: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

const STRING_ATTRS: Record<string, string> = { name: 'e.name' };
const NUMERIC_ATTRS: Record<string, string> = { creation_time: 'e.creation_time', last_update_time: 'e.last_update_time' };
const ORDER_ATTRS: Record<string, string> = { ...STRING_ATTRS, ...NUMERIC_ATTRS, experiment_id: 'e.id' };

/** search-experiments (mlflow-api.md §4.2) as one SQL query; returns ids in result order. */
export async function searchExperimentIds(
  db: SqlExecutor,
  q: SearchExperimentsQuery,
  scope: VisibleScope,
): Promise<{ ids: bigint[]; nextPageToken?: string }> {
  checkMaxResults(q.maxResults, LIMITS.searchExperimentsMax);
  const offset = decodePageToken(q.pageToken);
  const where: Prisma.Sql[] = [scopeSql(scope, Prisma.sql`e.id`)];
  if (q.viewType === 'ACTIVE_ONLY') where.push(Prisma.sql`e.lifecycle_stage = 'active'`);
  if (q.viewType === 'DELETED_ONLY') where.push(Prisma.sql`e.lifecycle_stage = 'deleted'`);
  for (const c of parseFilter(q.filter)) {
    if (c.entity === 'tag') {
      expectString(c, 'tag');
      where.push(Prisma.sql`EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.id AND t.key = ${c.key} AND ${compare(Prisma.sql`t.value`, c.comparator, c.value)})`);
    } else if (c.entity === 'attribute' && STRING_ATTRS[c.key]) {
      expectString(c, 'attribute');
      where.push(compare(Prisma.raw(STRING_ATTRS[c.key]!), c.comparator, c.value));
    } else if (c.entity === 'attribute' && NUMERIC_ATTRS[c.key]) {
      expectNumber(c, 'attribute');
      where.push(compare(Prisma.raw(NUMERIC_ATTRS[c.key]!), c.comparator, c.value, 'bigint'));
    } else {
      throw invalidParameter(`Invalid filter: '${c.entity === 'attribute' ? c.key : `${c.entity}s.${c.key}`}' is not searchable for experiments; use name, creation_time, last_update_time or tags.<key>.`);
    }
  }
  const order: Prisma.Sql[] = parseOrderBy(q.orderBy).map((o) => {
    if (o.entity !== 'attribute' || !ORDER_ATTRS[o.key]) {
      throw invalidParameter(`Invalid order_by key '${o.key}' for experiments; use name, experiment_id, creation_time or last_update_time.`);
    }
    return Prisma.sql`${Prisma.raw(ORDER_ATTRS[o.key]!)} ${direction(o.ascending)}`;
  });
  if (order.length === 0) order.push(Prisma.sql`e.creation_time DESC`);
  order.push(Prisma.sql`e.id ASC`);
  const rows = await db.query<{ id: bigint }>`
    SELECT e.id FROM experiments e WHERE ${and(where)}
    ORDER BY ${Prisma.join(order, ', ')} LIMIT ${q.maxResults + 1} OFFSET ${offset}`;
  return idPage(rows, offset, q.maxResults, (r) => r.id);
}
