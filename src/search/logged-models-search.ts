import { Prisma } from '@prisma/client';
import type { SqlExecutor } from '../db/sql';
import { invalidParameter } from '../errors';
import { LIMITS } from '../http/limits';
import { parseExperimentId } from '../lib/ids';
import { decodePageToken } from '../lib/page-token';
import type { VisibleScope } from '../modules/permissions/permissions.service';
import { parseFilter } from './filter-parser';
import { and, checkMaxResults, idPage, compare, direction, expectNumber, expectString, scopeSql } from './sql';

export interface SearchLoggedModelsQuery {
  experimentIds: string[];
  filter?: string;
  orderBy: Array<{ field_name: string; ascending: boolean }>;
  maxResults: number;
  pageToken?: string;
}

const STRING_ATTRS: Record<string, string> = {
  name: 'lm.name',
  model_id: 'lm.id',
  status: 'lm.status',
  model_type: 'lm.model_type',
  source_run_id: 'lm.source_run_id',
};
const NUMERIC_ATTRS: Record<string, string> = {
  creation_timestamp: 'lm.creation_time',
  creation_time: 'lm.creation_time',
  last_updated_timestamp: 'lm.last_updated_time',
};

/** search logged models (MLflow 3, mlflow-api.md §1.4): attributes, params.<k> and tags.<k>. */
export async function searchLoggedModelIds(
  db: SqlExecutor,
  q: SearchLoggedModelsQuery,
  scope: VisibleScope,
): Promise<{ ids: string[]; nextPageToken?: string }> {
  checkMaxResults(q.maxResults, LIMITS.searchLoggedModelsMax);
  const offset = decodePageToken(q.pageToken);
  const experimentIds = q.experimentIds.map(parseExperimentId);
  const where: Prisma.Sql[] = [
    Prisma.sql`lm.lifecycle_stage = 'active'`,
    Prisma.sql`lm.experiment_id = ANY(${experimentIds}::bigint[])`,
    scopeSql(scope, Prisma.sql`lm.experiment_id`),
  ];
  for (const c of parseFilter(q.filter)) {
    if (c.entity === 'param' || c.entity === 'tag') {
      expectString(c, c.entity);
      const table = c.entity === 'param' ? 'logged_model_params' : 'logged_model_tags';
      where.push(Prisma.sql`EXISTS (SELECT 1 FROM ${Prisma.raw(table)} x WHERE x.model_id = lm.id AND x.key = ${c.key} AND ${compare(Prisma.sql`x.value`, c.comparator, c.value)})`);
    } else if (c.entity === 'attribute' && STRING_ATTRS[c.key]) {
      expectString(c, 'attribute');
      where.push(compare(Prisma.raw(STRING_ATTRS[c.key]!), c.comparator, c.value));
    } else if (c.entity === 'attribute' && NUMERIC_ATTRS[c.key]) {
      expectNumber(c, 'attribute');
      where.push(compare(Prisma.raw(NUMERIC_ATTRS[c.key]!), c.comparator, c.value, 'bigint'));
    } else {
      throw invalidParameter(`Invalid filter: '${c.key}' is not searchable for logged models; use name, status, model_type, source_run_id, creation_timestamp, params.<key> or tags.<key>.`);
    }
  }
  const order = q.orderBy.map((o) => {
    const column = STRING_ATTRS[o.field_name] ?? NUMERIC_ATTRS[o.field_name];
    if (!column) throw invalidParameter(`Invalid order_by field_name '${o.field_name}' for logged models.`);
    return Prisma.sql`${Prisma.raw(column)} ${direction(o.ascending)}`;
  });
  order.push(Prisma.sql`lm.creation_time DESC`, Prisma.sql`lm.id ASC`);
  const rows = await db.query<{ id: string }>`
    SELECT lm.id FROM logged_models lm WHERE ${and(where)}
    ORDER BY ${Prisma.join(order, ', ')} LIMIT ${q.maxResults + 1} OFFSET ${offset}`;
  return idPage(rows, offset, q.maxResults, (r) => r.id);
}
