import { Prisma } from '@prisma/client';
import type { SqlExecutor } from '../db/sql';
import { invalidParameter } from '../errors';
import { LIMITS } from '../http/limits';
import { decodePageToken } from '../lib/page-token';
import type { VisibleScope } from '../modules/permissions/permissions.service';
import { parseFilter, parseOrderBy } from './filter-parser';
import { checkMaxResults, columnsByKey, compare, compareValue, Conditions, direction, expectNumber, expectString, idPage, scopeSql } from './sql';

export interface SearchExperimentsQuery {
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
  viewType: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

const STRING_ATTRS = columnsByKey({ name: 'e.name' });
const NUMERIC_ATTRS = columnsByKey({ creation_time: 'e.creation_time', last_update_time: 'e.last_update_time' });
const ORDER_ATTRS = new Map([...STRING_ATTRS, ...NUMERIC_ATTRS, ['experiment_id', 'e.id']]);

/** search-experiments (mlflow-api.md §4.2) as one SQL query; returns ids in result order. */
export async function searchExperimentIds(db: SqlExecutor, q: SearchExperimentsQuery, scope: VisibleScope): Promise<{ ids: bigint[]; nextPageToken?: string }> {
  checkMaxResults(q.maxResults, LIMITS.searchExperimentsMax);
  const offset = decodePageToken(q.pageToken);
  const where = new Conditions([scopeSql(scope, Prisma.sql`e.id`)]);
  if (q.viewType === 'ACTIVE_ONLY') where.add(Prisma.sql`e.lifecycle_stage = 'active'`);
  if (q.viewType === 'DELETED_ONLY') where.add(Prisma.sql`e.lifecycle_stage = 'deleted'`);
  for (const c of parseFilter(q.filter)) {
    const str = c.entity === 'attribute' ? STRING_ATTRS.get(c.key) : undefined;
    const num = c.entity === 'attribute' ? NUMERIC_ATTRS.get(c.key) : undefined;
    if (c.entity === 'tag') {
      expectString(c, 'tag');
      where.exists(Prisma.sql`SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.id AND t.key = ${c.key} AND ${compareValue(Prisma.sql`t.value`, c.comparator, c.value)}`);
    } else if (str) {
      expectString(c, 'attribute');
      where.add(compare(Prisma.raw(str), c.comparator, c.value));
    } else if (num) {
      expectNumber(c, 'attribute');
      where.add(compare(Prisma.raw(num), c.comparator, c.value, 'bigint'));
    } else {
      throw invalidParameter(
        `Invalid filter: '${c.entity === 'attribute' ? c.key : `${c.entity}s.${c.key}`}' is not searchable for experiments; use name, creation_time, last_update_time or tags.<key>.`,
      );
    }
  }
  const order: Prisma.Sql[] = parseOrderBy(q.orderBy).map((o) => {
    const column = o.entity === 'attribute' ? ORDER_ATTRS.get(o.key) : undefined;
    if (!column) {
      throw invalidParameter(`Invalid order_by key '${o.key}' for experiments; use name, experiment_id, creation_time or last_update_time.`);
    }
    return Prisma.sql`${Prisma.raw(column)} ${direction(o.ascending)}`;
  });
  if (order.length === 0) order.push(Prisma.sql`e.creation_time DESC`);
  order.push(Prisma.sql`e.id ASC`);
  const rows = await db.query<{ id: bigint }>`
    SELECT e.id FROM experiments e WHERE ${where.sql()}
    ORDER BY ${Prisma.join(order, ', ')} LIMIT ${q.maxResults + 1} OFFSET ${offset}`;
  return idPage(rows, offset, q.maxResults, (r) => r.id);
}
