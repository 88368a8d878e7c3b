import { Prisma } from '@prisma/client';
import type { SqlExecutor } from '../db/sql';
import { invalidParameter } from '../errors';
import { LIMITS } from '../http/limits';
import { decodePageToken } from '../lib/page-token';
import { IS_PROMPT_TAG } from '../lib/prompts';
import type { VisibleScope } from '../modules/permissions/permissions.service';
import { type Comparison, parseFilter, parseOrderBy } from './filter-parser';
import { checkMaxResults, columnsByKey, compare, compareValue, Conditions, direction, expectNumber, expectString, idPage, likeWithin, scopeSql, STRING_OPS } from './sql';

export interface RegistrySearchQuery {
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
}

const MODEL_ORDER = columnsByKey({
  name: 'rm.name',
  last_updated_timestamp: 'rm.last_updated_time',
  timestamp: 'rm.last_updated_time',
  creation_timestamp: 'rm.creation_time',
});

/**
 * A model search leaves prompts out unless it asks for them, as MLflow's stores do; MLflow 3
 * clients add ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every search they send. Asking for
 * prompts is `= 'true'` or `!= 'false'` on that tag (the first clause on it decides), and its
 * clauses then filter like any tag's. Otherwise the clauses on that tag are dropped, since a
 * model has no such tag and `!= 'true'` would match nothing, and prompts are excluded.
 */
function withoutPrompts(conditions: Comparison[]): { conditions: Comparison[]; excludePrompts: boolean } {
  const first = conditions.find((c) => c.entity === 'tag' && c.key === IS_PROMPT_TAG);
  const value = typeof first?.value === 'string' ? first.value.toLowerCase() : undefined;
  const asksForPrompts = (first?.comparator === '=' && value === 'true') || (first?.comparator === '!=' && value === 'false');
  if (asksForPrompts) return { conditions, excludePrompts: false };
  return { conditions: conditions.filter((c) => !(c.entity === 'tag' && c.key === IS_PROMPT_TAG)), excludePrompts: true };
}

/**
 * A name comparison; a LIKE is bounded by its prefix when the database sorts by code point
 * (`codePointOrder`), so the name index starts at the prefix (the plans test shows it).
 */
const nameCondition = (c: Comparison, codePointOrder: boolean) =>
  c.comparator === 'LIKE' && typeof c.value === 'string' ? likeWithin(Prisma.sql`rm.name`, c.value, codePointOrder) : compare(Prisma.sql`rm.name`, c.comparator, c.value);

/** The search-registered-models SQL (mlflow-api.md §4.3), for a page of max+1 rows from `offset`: name and tags; name ASC always breaks ties. */
export function registeredModelSearchSql(q: RegistrySearchQuery, scope: VisibleScope, offset: number, codePointOrder: boolean): Prisma.Sql {
  checkMaxResults(q.maxResults, LIMITS.searchRegisteredModelsMax);
  const where = new Conditions([scopeSql(scope, Prisma.sql`rm.id`)]);
  const { conditions, excludePrompts } = withoutPrompts(parseFilter(q.filter));
  if (excludePrompts) {
    where.notExists(Prisma.sql`SELECT 1 FROM registered_model_tags t WHERE t.model_id = rm.id AND t.key = ${IS_PROMPT_TAG} AND ${compareValue(Prisma.sql`t.value`, '=', 'true')}`);
  }
  for (const c of conditions) {
    if (c.entity === 'tag') {
      expectString(c, 'tag');
      where.exists(Prisma.sql`SELECT 1 FROM registered_model_tags t WHERE t.model_id = rm.id AND t.key = ${c.key} AND ${compareValue(Prisma.sql`t.value`, c.comparator, c.value)}`);
    } else if (c.entity === 'attribute' && c.key === 'name') {
      expectString(c, 'attribute');
      where.add(nameCondition(c, codePointOrder));
    } else {
      throw invalidParameter(`Invalid filter: '${c.key}' is not searchable for registered models; use name or tags.<key>.`);
    }
  }
  const order = parseOrderBy(q.orderBy).map((o) => {
    const column = o.entity === 'attribute' ? MODEL_ORDER.get(o.key) : undefined;
    if (!column) throw invalidParameter(`Invalid order_by key '${o.key}' for registered models; use name, last_updated_timestamp or creation_timestamp.`);
    return Prisma.sql`${Prisma.raw(column)} ${direction(o.ascending)}`;
  });
  order.push(Prisma.sql`rm.name ASC`);
  return Prisma.sql`
    SELECT rm.id FROM registered_models rm WHERE ${where.sql()}
    ORDER BY ${Prisma.join(order, ', ')} LIMIT ${q.maxResults + 1} OFFSET ${offset}`;
}

/** search-registered-models as one SQL query; returns model ids in result order. */
export async function searchRegisteredModelIds(db: SqlExecutor, q: RegistrySearchQuery, scope: VisibleScope, codePointOrder: boolean): Promise<{ ids: bigint[]; nextPageToken?: string }> {
  const offset = decodePageToken(q.pageToken);
  const rows = await db.query<{ id: bigint }>(registeredModelSearchSql(q, scope, offset, codePointOrder));
  return idPage(rows, offset, q.maxResults, (r) => r.id);
}

const VERSION_ORDER = columnsByKey({
  name: 'rm.name',
  version_number: 'v.version',
  creation_timestamp: 'v.creation_time',
  last_updated_timestamp: 'v.last_updated_time',
  timestamp: 'v.last_updated_time',
});

/** search-model-versions (mlflow-api.md §4.3); deleted versions never show. */
export async function searchModelVersionKeys(
  db: SqlExecutor,
  q: RegistrySearchQuery,
  scope: VisibleScope,
  codePointOrder: boolean,
): Promise<{ keys: Array<{ modelId: bigint; version: number }>; nextPageToken?: string }> {
  checkMaxResults(q.maxResults, LIMITS.searchModelVersionsMax);
  const offset = decodePageToken(q.pageToken);
  const where = new Conditions([Prisma.sql`v.current_stage <> 'Deleted_Internal'`, scopeSql(scope, Prisma.sql`rm.id`)]);
  const { conditions, excludePrompts } = withoutPrompts(parseFilter(q.filter));
  if (excludePrompts) {
    // Like MLflow: the versions of a model any of whose versions is tagged as a prompt.
    where.notExists(Prisma.sql`SELECT 1 FROM model_version_tags t WHERE t.model_id = v.model_id AND t.key = ${IS_PROMPT_TAG} AND ${compareValue(Prisma.sql`t.value`, '=', 'true')}`);
  }
  for (const c of conditions) {
    if (c.entity === 'tag') {
      expectString(c, 'tag');
      where.exists(
        Prisma.sql`SELECT 1 FROM model_version_tags t WHERE t.model_id = v.model_id AND t.version = v.version AND t.key = ${c.key} AND ${compareValue(Prisma.sql`t.value`, c.comparator, c.value)}`,
      );
    } else if (c.entity === 'attribute' && c.key === 'name') {
      expectString(c, 'attribute');
      where.add(nameCondition(c, codePointOrder));
    } else if (c.entity === 'attribute' && c.key === 'run_id') {
      expectString(c, 'attribute', [...STRING_OPS, 'IN', 'NOT IN']);
      where.add(compare(Prisma.sql`v.run_id`, c.comparator, c.value));
    } else if (c.entity === 'attribute' && c.key === 'source_path') {
      expectString(c, 'attribute');
      where.add(compare(Prisma.sql`v.source`, c.comparator, c.value));
    } else if (c.entity === 'attribute' && c.key === 'version_number') {
      expectNumber(c, 'attribute');
      where.add(compare(Prisma.sql`v.version`, c.comparator, c.value, 'bigint'));
    } else {
      throw invalidParameter(`Invalid filter: '${c.key}' is not searchable for model versions; use name, run_id, source_path, version_number or tags.<key>.`);
    }
  }
  const order = parseOrderBy(q.orderBy).map((o) => {
    const column = o.entity === 'attribute' ? VERSION_ORDER.get(o.key) : undefined;
    if (!column) throw invalidParameter(`Invalid order_by key '${o.key}' for model versions; use name, version_number, creation_timestamp or last_updated_timestamp.`);
    return Prisma.sql`${Prisma.raw(column)} ${direction(o.ascending)}`;
  });
  if (order.length === 0) order.push(Prisma.sql`v.last_updated_time DESC`);
  order.push(Prisma.sql`rm.name ASC`, Prisma.sql`v.version DESC`);
  const rows = await db.query<{ model_id: bigint; version: number }>`
    SELECT v.model_id, v.version FROM model_versions v JOIN registered_models rm ON rm.id = v.model_id
    WHERE ${where.sql()} ORDER BY ${Prisma.join(order, ', ')} LIMIT ${q.maxResults + 1} OFFSET ${offset}`;
  const { ids: keys, nextPageToken } = idPage(rows, offset, q.maxResults, (r) => ({ modelId: r.model_id, version: Number(r.version) }));
  return { keys, ...(nextPageToken ? { nextPageToken } : {}) };
}
