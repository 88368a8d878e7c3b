import { Prisma, type PrismaClient } from '@prisma/client';
import { invalidParameter } from '../errors';
import { LIMITS } from '../http/limits';
import { decodePageToken, pageOf } from '../lib/page-token';
import type { VisibleScope } from '../modules/permissions/permissions.service';
import { type Comparison, type OrderClause, parseFilter, parseOrderBy } from './filter-parser';
import { and, checkMaxResults, compare, direction, expectNumber, expectString, scopeSql, STRING_OPS } from './sql';

export interface SearchRunsQuery {
  experimentIds: string[];
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
  runViewType: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

// Attribute names and their aliases (mlflow-api.md §4.1) → runs columns.
const STRING_ATTRS: Record<string, string> = {
  run_id: 'r.id',
  run_name: 'r.name',
  'run name': 'r.name',
  'Run name': 'r.name',
  'Run Name': 'r.name',
  status: 'r.status',
  user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri',
};
const NUMERIC_ATTRS: Record<string, string> = {
  start_time: 'r.start_time',
  end_time: 'r.end_time',
  created: 'r.start_time',
  Created: 'r.start_time',
};

function runCondition(c: Comparison): Prisma.Sql {
  switch (c.entity) {
    case 'metric':
      expectNumber(c, 'metric');
      // Compares the latest value; a run without the metric (or with NaN) never matches.
      return Prisma.sql`EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_id = r.id AND m.key = ${c.key} AND NOT m.is_nan AND ${compare(Prisma.sql`m.value`, c.comparator, c.value)})`;
    case 'param':
      expectString(c, 'param');
      return Prisma.sql`EXISTS (SELECT 1 FROM params p WHERE p.run_id = r.id AND p.key = ${c.key} AND ${compare(Prisma.sql`p.value`, c.comparator, c.value)})`;
    case 'tag':
      expectString(c, 'tag');
      return Prisma.sql`EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.key = ${c.key} AND ${compare(Prisma.sql`t.value`, c.comparator, c.value)})`;
    case 'dataset': {
      const ops = [...STRING_OPS, 'IN', 'NOT IN'] as const;
      expectString(c, 'dataset attribute', ops);
      const column = c.key === 'name' ? Prisma.sql`d.name` : c.key === 'digest' ? Prisma.sql`d.digest` : c.key === 'context' ? null : undefined;
      if (column === undefined) throw invalidParameter(`Invalid dataset attribute '${c.key}'; use datasets.name, datasets.digest or datasets.context.`);
      const cond =
        column === null
          ? Prisma.sql`EXISTS (SELECT 1 FROM jsonb_array_elements(i.tags) AS it WHERE it->>'key' = 'mlflow.data.context' AND ${compare(Prisma.sql`(it->>'value')`, c.comparator, c.value)})`
          : compare(column, c.comparator, c.value);
      return Prisma.sql`EXISTS (SELECT 1 FROM run_dataset_inputs i JOIN datasets d ON d.id = i.dataset_id WHERE i.run_id = r.id AND ${cond})`;
    }
    case 'attribute': {
      const str = STRING_ATTRS[c.key];
      if (str) {
        expectString(c, 'attribute', str === 'r.id' ? [...STRING_OPS, 'IN', 'NOT IN'] : STRING_OPS);
        return compare(Prisma.raw(str), c.comparator, c.value);
      }
      const num = NUMERIC_ATTRS[c.key];
      if (num) {
        expectNumber(c, 'attribute');
        return compare(Prisma.raw(num), c.comparator, c.value, 'bigint');
      }
      throw invalidParameter(
        `Invalid attribute key '${c.key}' specified. Valid keys are ${[...Object.keys(STRING_ATTRS), ...Object.keys(NUMERIC_ATTRS)].join(', ')}.`,
      );
    }
  }
}

function runOrder(o: OrderClause): Prisma.Sql {
  const dir = direction(o.ascending);
  switch (o.entity) {
    case 'metric':
      return Prisma.sql`(SELECT m.value FROM latest_metrics m WHERE m.run_id = r.id AND m.key = ${o.key}) ${dir} NULLS LAST`;
    case 'param':
      return Prisma.sql`(SELECT p.value FROM params p WHERE p.run_id = r.id AND p.key = ${o.key}) ${dir} NULLS LAST`;
    case 'tag':
      return Prisma.sql`(SELECT t.value FROM run_tags t WHERE t.run_id = r.id AND t.key = ${o.key}) ${dir} NULLS LAST`;
    case 'attribute': {
      const column = STRING_ATTRS[o.key] ?? NUMERIC_ATTRS[o.key];
      if (!column) throw invalidParameter(`Invalid order_by attribute '${o.key}'.`);
      return Prisma.sql`${Prisma.raw(column)} ${dir} NULLS LAST`;
    }
    default:
      throw invalidParameter(`Invalid order_by entity '${o.entity}'; order by attributes, metrics, params or tags.`);
  }
}

/** search-runs (mlflow-api.md §4.1) as one SQL query; returns run ids in result order. */
export async function searchRunIds(
  prisma: PrismaClient,
  q: SearchRunsQuery,
  scope: VisibleScope,
): Promise<{ ids: string[]; nextPageToken?: string }> {
  checkMaxResults(q.maxResults, LIMITS.searchRunsMax);
  const offset = decodePageToken(q.pageToken);
  const experimentIds = q.experimentIds.map((id) => {
    if (!/^\d{1,18}$/.test(id)) throw invalidParameter(`Invalid experiment ID: '${id}'`);
    return BigInt(id);
  });
  const where: Prisma.Sql[] = [Prisma.sql`r.experiment_id = ANY(${experimentIds}::bigint[])`, scopeSql(scope, Prisma.sql`r.experiment_id`)];
  if (q.runViewType === 'ACTIVE_ONLY') where.push(Prisma.sql`r.lifecycle_stage = 'active'`);
  if (q.runViewType === 'DELETED_ONLY') where.push(Prisma.sql`r.lifecycle_stage = 'deleted'`);
  where.push(...parseFilter(q.filter).map(runCondition));
  const order = [...parseOrderBy(q.orderBy).map(runOrder), Prisma.sql`r.start_time DESC`, Prisma.sql`r.id ASC`];
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    SELECT r.id FROM runs r WHERE ${and(where)}
    ORDER BY ${Prisma.join(order, ', ')} LIMIT ${q.maxResults + 1} OFFSET ${offset}`;
  const page = pageOf(rows, offset, q.maxResults);
  return { ids: page.items.map((r) => r.id), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
}
