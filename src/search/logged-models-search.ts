import { Prisma } from '@prisma/client';
import type { SqlExecutor } from '../db/sql';
import { invalidParameter } from '../errors';
import { LIMITS } from '../http/limits';
import { parseExperimentId } from '../lib/ids';
import { decodePageToken } from '../lib/page-token';
import type { VisibleScope } from '../modules/permissions/permissions.service';
import { parseFilter } from './filter-parser';
import { checkMaxResults, columnsByKey, compare, Conditions, direction, expectNumber, expectString, idPage, scopeSql } from './sql';

export interface DatasetFilter {
  dataset_name: string;
  dataset_digest?: string;
}

export interface SearchLoggedModelsQuery {
  experimentIds: string[];
  filter?: string;
  /** Metric filters (or, without any, the models themselves) count only points logged on these datasets. */
  datasets: DatasetFilter[];
  orderBy: Array<{ field_name: string; ascending: boolean; dataset_name?: string; dataset_digest?: string }>;
  maxResults: number;
  pageToken?: string;
}

const STRING_ATTRS = columnsByKey({
  name: 'lm.name',
  model_id: 'lm.id',
  status: 'lm.status',
  model_type: 'lm.model_type',
  source_run_id: 'lm.source_run_id',
});
const NUMERIC_ATTRS = columnsByKey({
  creation_timestamp: 'lm.creation_time',
  creation_time: 'lm.creation_time',
  last_updated_timestamp: 'lm.last_updated_time',
});

/** `x`, a row of logged_model_metrics, was logged on one of `datasets` (no condition without any). */
function onDatasets(datasets: DatasetFilter[]): Prisma.Sql {
  if (datasets.length === 0) return Prisma.empty;
  const each = datasets.map((d) =>
    d.dataset_digest === undefined ? Prisma.sql`x.dataset_name = ${d.dataset_name}` : Prisma.sql`(x.dataset_name = ${d.dataset_name} AND x.dataset_digest = ${d.dataset_digest})`,
  );
  return Prisma.sql`AND (${Prisma.join(each, ' OR ')})`;
}

/**
 * search logged models (MLflow 3, mlflow-api.md §1.4): attributes, params.<k>, tags.<k> and
 * metrics.<k>. As in MLflow, a metric filter matches a model with any point of that metric that
 * passes it, and ordering by a metric uses the model's latest point (by timestamp, then step),
 * models without one last.
 */
export async function searchLoggedModelIds(db: SqlExecutor, q: SearchLoggedModelsQuery, scope: VisibleScope): Promise<{ ids: string[]; nextPageToken?: string }> {
  checkMaxResults(q.maxResults, LIMITS.searchLoggedModelsMax);
  const offset = decodePageToken(q.pageToken);
  const experimentIds = q.experimentIds.map(parseExperimentId);
  const where = new Conditions([Prisma.sql`lm.lifecycle_stage = 'active'`, Prisma.sql`lm.experiment_id = ANY(${experimentIds}::bigint[])`, scopeSql(scope, Prisma.sql`lm.experiment_id`)]);
  let metricFilters = 0;
  for (const c of parseFilter(q.filter)) {
    const str = c.entity === 'attribute' ? STRING_ATTRS.get(c.key) : undefined;
    const num = c.entity === 'attribute' ? NUMERIC_ATTRS.get(c.key) : undefined;
    if (c.entity === 'metric') {
      expectNumber(c, 'metric');
      metricFilters++;
      where.exists(Prisma.sql`SELECT 1 FROM logged_model_metrics x WHERE x.model_id = lm.id AND x.key = ${c.key}
        AND NOT x.is_nan AND ${compare(Prisma.sql`x.value`, c.comparator, c.value)} ${onDatasets(q.datasets)}`);
    } else if (c.entity === 'param' || c.entity === 'tag') {
      expectString(c, c.entity);
      const table = c.entity === 'param' ? 'logged_model_params' : 'logged_model_tags';
      where.exists(Prisma.sql`SELECT 1 FROM ${Prisma.raw(table)} x WHERE x.model_id = lm.id AND x.key = ${c.key} AND ${compare(Prisma.sql`x.value`, c.comparator, c.value)}`);
    } else if (str) {
      expectString(c, 'attribute');
      where.add(compare(Prisma.raw(str), c.comparator, c.value));
    } else if (num) {
      expectNumber(c, 'attribute');
      where.add(compare(Prisma.raw(num), c.comparator, c.value, 'bigint'));
    } else {
      throw invalidParameter(
        `Invalid filter: '${c.key}' is not searchable for logged models; use name, status, model_type, source_run_id, creation_timestamp, metrics.<key>, params.<key> or tags.<key>.`,
      );
    }
  }
  if (q.datasets.length > 0 && metricFilters === 0) {
    where.exists(Prisma.sql`SELECT 1 FROM logged_model_metrics x WHERE x.model_id = lm.id ${onDatasets(q.datasets)}`);
  }
  const joins: Prisma.Sql[] = [];
  const order = q.orderBy.map((o, i) => {
    const column = STRING_ATTRS.get(o.field_name) ?? NUMERIC_ATTRS.get(o.field_name);
    if (column) return Prisma.sql`${Prisma.raw(column)} ${direction(o.ascending)} NULLS LAST`;
    const metric = /^metrics\.(.+)$/s.exec(o.field_name)?.[1];
    if (metric === undefined) {
      throw invalidParameter(`Invalid order_by field_name '${o.field_name}' for logged models; use an attribute or metrics.<key>.`);
    }
    const name = o.dataset_name === undefined ? Prisma.empty : Prisma.sql`AND x.dataset_name = ${o.dataset_name}`;
    const digest = o.dataset_digest === undefined ? Prisma.empty : Prisma.sql`AND x.dataset_digest = ${o.dataset_digest}`;
    const alias = Prisma.raw(`o${i}`);
    joins.push(Prisma.sql`LEFT JOIN LATERAL (
      SELECT CASE WHEN x.is_nan THEN 'NaN'::float8 ELSE x.value END AS value FROM logged_model_metrics x
      WHERE x.model_id = lm.id AND x.key = ${metric} ${name} ${digest}
      ORDER BY x.timestamp DESC, x.step DESC LIMIT 1) ${alias} ON TRUE`);
    return Prisma.sql`${alias}.value ${direction(o.ascending)} NULLS LAST`;
  });
  order.push(Prisma.sql`lm.creation_time DESC`, Prisma.sql`lm.id ASC`);
  const rows = await db.query<{ id: string }>`
    SELECT lm.id FROM logged_models lm ${joins.length > 0 ? Prisma.join(joins, ' ') : Prisma.empty} WHERE ${where.sql()}
    ORDER BY ${Prisma.join(order, ', ')} LIMIT ${q.maxResults + 1} OFFSET ${offset}`;
  return idPage(rows, offset, q.maxResults, (r) => r.id);
}
