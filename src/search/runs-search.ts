import { Prisma } from '@prisma/client';
import type { SqlExecutor } from '../db/sql';
import { invalidParameter } from '../errors';
import { LIMITS } from '../http/limits';
import { parseExperimentId } from '../lib/ids';
import { decodePageToken } from '../lib/page-token';
import type { VisibleScope } from '../modules/permissions/permissions.service';
import { type Comparison, type OrderClause, parseFilter, parseOrderBy } from './filter-parser';
import { checkMaxResults, columnsByKey, compare, compareValue, Conditions, direction, expectNumber, expectString, idPage, keyList, scopeSql, STRING_OPS } from './sql';

export interface SearchRunsQuery {
  experimentIds: string[];
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
  runViewType: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

// Attribute names and their aliases (mlflow-api.md §4.1) → runs columns.
const STRING_ATTRS = columnsByKey({
  run_id: 'r.id',
  run_name: 'r.name',
  'run name': 'r.name',
  'Run name': 'r.name',
  'Run Name': 'r.name',
  status: 'r.status',
  user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri',
});
const NUMERIC_ATTRS = columnsByKey({
  start_time: 'r.start_time',
  end_time: 'r.end_time',
  created: 'r.start_time',
  Created: 'r.start_time',
});
const invalidAttribute = (key: string) => invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are ${keyList([...STRING_ATTRS.keys(), ...NUMERIC_ATTRS.keys()])}.`);

const KEYED_TABLES = { metric: 'latest_metrics', param: 'params', tag: 'run_tags' } as const;
type KeyedEntity = keyof typeof KEYED_TABLES;
const isKeyed = (entity: string): entity is KeyedEntity => Object.hasOwn(KEYED_TABLES, entity);

/** The order_by joins, by entity and key: a filter on the same key reads the joined row. */
type JoinedKeys = Map<string, Prisma.Sql>;
const joinedKey = (entity: KeyedEntity, key: string) => `${entity}\u0000${key}`;

/**
 * A metric, param or tag comparison on one row of its table (alias `t`). A run has at most one row
 * per key, so the comparison holds of a run exactly when its row exists and matches: a run without
 * the metric (or with NaN) never matches.
 */
function keyedCondition(c: Comparison & { entity: KeyedEntity }, t: Prisma.Sql): Prisma.Sql {
  if (c.entity === 'metric') {
    expectNumber(c, 'metric');
    return Prisma.sql`NOT ${t}.is_nan AND ${compare(Prisma.sql`${t}.value`, c.comparator, c.value)}`;
  }
  expectString(c, c.entity);
  return compareValue(Prisma.sql`${t}.value`, c.comparator, c.value);
}

/** Adds the condition of one filter comparison to `where`. */
function runCondition(c: Comparison, joined: JoinedKeys, where: Conditions): void {
  if (isKeyed(c.entity)) {
    const keyed = c as Comparison & { entity: KeyedEntity };
    // Ordered by the same key: that LEFT JOIN already holds the row, so no second lookup.
    const alias = joined.get(joinedKey(keyed.entity, c.key));
    if (alias) return where.add(keyedCondition(keyed, alias));
    const table = Prisma.raw(KEYED_TABLES[keyed.entity]);
    return where.exists(Prisma.sql`SELECT 1 FROM ${table} k WHERE k.run_id = r.id AND k.key = ${c.key} AND ${keyedCondition(keyed, Prisma.raw('k'))}`);
  }
  switch (c.entity) {
    case 'dataset': {
      const ops = [...STRING_OPS, 'IN', 'NOT IN'] as const;
      expectString(c, 'dataset attribute', ops);
      const column = c.key === 'name' ? Prisma.sql`d.name` : c.key === 'digest' ? Prisma.sql`d.digest` : c.key === 'context' ? null : undefined;
      if (column === undefined) throw invalidParameter(`Invalid dataset attribute '${c.key}'; use datasets.name, datasets.digest or datasets.context.`);
      const cond =
        column === null
          ? Prisma.sql`EXISTS (SELECT 1 FROM jsonb_array_elements(i.tags) AS it WHERE it->>'key' = 'mlflow.data.context' AND ${compare(Prisma.sql`(it->>'value')`, c.comparator, c.value)})`
          : compare(column, c.comparator, c.value);
      return where.exists(Prisma.sql`SELECT 1 FROM run_dataset_inputs i JOIN datasets d ON d.id = i.dataset_id WHERE i.run_id = r.id AND ${cond}`);
    }
    case 'attribute': {
      const str = STRING_ATTRS.get(c.key);
      if (str) {
        expectString(c, 'attribute', str === 'r.id' ? [...STRING_OPS, 'IN', 'NOT IN'] : STRING_OPS);
        return where.add(compare(Prisma.raw(str), c.comparator, c.value));
      }
      const num = NUMERIC_ATTRS.get(c.key);
      if (num) {
        expectNumber(c, 'attribute');
        return where.add(compare(Prisma.raw(num), c.comparator, c.value, 'bigint'));
      }
      throw invalidAttribute(c.key);
    }
  }
  // The parser makes no other entities; refuse rather than return no condition at all.
  throw invalidParameter(`Invalid entity type '${String(c.entity)}' for runs.`);
}

// Columns that are never NULL sort without NULLS LAST, so the runs indexes can produce the order.
const NOT_NULL = new Set(['r.id', 'r.name', 'r.status', 'r.user_id', 'r.artifact_uri', 'r.start_time']);

/** An ORDER BY term, and for metrics, params and tags the LEFT JOIN that supplies the value. */
function runOrder(o: OrderClause, i: number): { join?: Prisma.Sql; joined?: [string, Prisma.Sql]; term: Prisma.Sql } {
  const dir = direction(o.ascending);
  if (isKeyed(o.entity)) {
    const alias = Prisma.raw(`o${i}`);
    return {
      join: Prisma.sql`LEFT JOIN ${Prisma.raw(KEYED_TABLES[o.entity])} ${alias} ON ${alias}.run_id = r.id AND ${alias}.key = ${o.key}`,
      joined: [joinedKey(o.entity, o.key), alias],
      term: Prisma.sql`${alias}.value ${dir} NULLS LAST`, // runs without the key sort last
    };
  }
  if (o.entity === 'attribute') {
    const column = STRING_ATTRS.get(o.key) ?? NUMERIC_ATTRS.get(o.key);
    if (!column) throw invalidAttribute(o.key);
    return { term: Prisma.sql`${Prisma.raw(column)} ${dir}${Prisma.raw(NOT_NULL.has(column) ? '' : ' NULLS LAST')}` };
  }
  throw invalidParameter(`Invalid order_by entity '${o.entity}'; order by attributes, metrics, params or tags.`);
}

/** The search-runs SQL (mlflow-api.md §4.1), for a page of max+1 rows from `offset`. */
export function runSearchSql(q: SearchRunsQuery, scope: VisibleScope, offset: number): Prisma.Sql {
  checkMaxResults(q.maxResults, LIMITS.searchRunsMax);
  const experimentIds = q.experimentIds.map(parseExperimentId);
  // One experiment (the usual case) as `=`: `= ANY(...)` would keep PostgreSQL from reading the
  // (experiment_id, lifecycle_stage, start_time, id) index in order.
  const inExperiments = experimentIds.length === 1 ? Prisma.sql`r.experiment_id = ${experimentIds[0]}` : Prisma.sql`r.experiment_id = ANY(${experimentIds}::bigint[])`;
  const where = new Conditions([inExperiments, scopeSql(scope, Prisma.sql`r.experiment_id`)]);
  if (q.runViewType === 'ACTIVE_ONLY') where.add(Prisma.sql`r.lifecycle_stage = 'active'`);
  if (q.runViewType === 'DELETED_ONLY') where.add(Prisma.sql`r.lifecycle_stage = 'deleted'`);
  const orders = parseOrderBy(q.orderBy).map(runOrder);
  const joined: JoinedKeys = new Map(orders.flatMap((o) => (o.joined ? [o.joined] : [])));
  for (const c of parseFilter(q.filter)) runCondition(c, joined, where);
  const joins = orders.flatMap((o) => (o.join ? [o.join] : []));
  const order = [...orders.map((o) => o.term), Prisma.sql`r.start_time DESC`, Prisma.sql`r.id ASC`];
  return Prisma.sql`
    SELECT r.id FROM runs r ${joins.length > 0 ? Prisma.join(joins, ' ') : Prisma.empty} WHERE ${where.sql()}
    ORDER BY ${Prisma.join(order, ', ')} LIMIT ${q.maxResults + 1} OFFSET ${offset}`;
}

/** search-runs as one SQL query; returns run ids in result order. */
export async function searchRunIds(db: SqlExecutor, q: SearchRunsQuery, scope: VisibleScope): Promise<{ ids: string[]; nextPageToken?: string }> {
  const offset = decodePageToken(q.pageToken);
  const rows = await db.query<{ id: string }>(runSearchSql(q, scope, offset));
  return idPage(rows, offset, q.maxResults, (r) => r.id);
}
