import { Prisma } from '@prisma/client';
import { createDatabase, type Database } from '../../src/db/prisma';
import { EXPERIMENT_COLUMNS, type ExperimentRow } from '../../src/modules/experiments/experiments.repository';
import { GRANT_COLUMNS, type GrantRecord } from '../../src/modules/permissions/permissions.repository';
import { FULL_VIEW, latestVersionsSql, ROW_COLUMNS, type ModelVersionRecord, type ModelVersionRow } from '../../src/modules/registry/model-versions.repository';
import { ALIAS_SQL, ROW_SQL, type AliasRow, type RegisteredModelRow } from '../../src/modules/registry/registered-models.repository';
import { METRIC_COLUMNS, RUN_COLUMNS, runsByIdsSql, type MetricPointRow, type RunRow, type RunWithDataRow } from '../../src/modules/runs/runs.repository';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';

/**
 * The hand-written column lists and row types used with SqlExecutor (src/db/README.md, rule 5),
 * checked against the migrated database and against schema.prisma.
 */

/** Exactly the keys of T, as a runtime list: a key missing from the list does not compile. */
const keysOf =
  <T>() =>
  <const K extends ReadonlyArray<keyof T>>(keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> })) =>
    keys as readonly string[];

interface Case {
  name: string;
  /** The statement as the repository builds it, or its column list selected with LIMIT 0. */
  statement: Prisma.Sql;
  /** The row type's keys, in the statement's column order. */
  keys: readonly string[];
  /** The model whose fields the keys are: by field name (camelCase rows) or by column name (snake_case rows). */
  model: Prisma.ModelName;
  keyedBy: 'field' | 'column';
  /** Keys the statement computes (joins, JSON aggregates) rather than reads from the model's table. */
  computed?: readonly string[];
}

const CASES: Case[] = [
  {
    name: 'runs RUN_COLUMNS (findById, update)',
    statement: Prisma.sql`SELECT ${RUN_COLUMNS} FROM runs LIMIT 0`,
    keys: keysOf<RunRow>()(['id', 'experiment_id', 'name', 'user_id', 'status', 'start_time', 'end_time', 'lifecycle_stage', 'deleted_time', 'artifact_uri']),
    model: 'Run',
    keyedBy: 'column',
  },
  {
    name: 'runs runsByIdsSql (findManyByIds: runs/get, searches)',
    statement: runsByIdsSql([]),
    keys: keysOf<RunWithDataRow>()([
      'id',
      'experiment_id',
      'name',
      'user_id',
      'status',
      'start_time',
      'end_time',
      'lifecycle_stage',
      'deleted_time',
      'artifact_uri',
      'metrics',
      'params',
      'tags',
      'dataset_inputs',
      'model_inputs',
      'model_outputs',
    ]),
    model: 'Run',
    keyedBy: 'column',
    computed: ['metrics', 'params', 'tags', 'dataset_inputs', 'model_inputs', 'model_outputs'],
  },
  {
    name: 'metrics METRIC_COLUMNS (metricHistory, sampledMetricPoints)',
    statement: Prisma.sql`SELECT ${METRIC_COLUMNS} FROM metrics LIMIT 0`,
    keys: keysOf<MetricPointRow>()(['key', 'value', 'timestamp', 'step', 'is_nan']),
    model: 'Metric',
    keyedBy: 'column',
  },
  {
    name: 'experiments EXPERIMENT_COLUMNS',
    statement: Prisma.sql`SELECT ${EXPERIMENT_COLUMNS} FROM experiments LIMIT 0`,
    keys: keysOf<ExperimentRow>()(['id', 'name', 'artifact_location', 'lifecycle_stage', 'creation_time', 'last_update_time']),
    model: 'Experiment',
    keyedBy: 'column',
  },
  {
    name: 'model versions ROW_COLUMNS (findRow)',
    statement: Prisma.sql`SELECT ${ROW_COLUMNS} FROM model_versions v LIMIT 0`,
    keys: keysOf<ModelVersionRow>()([
      'modelId',
      'version',
      'source',
      'storageLocation',
      'runId',
      'runLink',
      'loggedModelId',
      'status',
      'statusMessage',
      'currentStage',
      'description',
      'userId',
      'creationTime',
      'lastUpdatedTime',
    ]),
    model: 'ModelVersion',
    keyedBy: 'field',
  },
  {
    name: 'model versions RECORD_COLUMNS (load, latestVersionsSql)',
    statement: latestVersionsSql(Prisma.sql`FALSE`, undefined, FULL_VIEW),
    keys: keysOf<ModelVersionRecord>()([
      'modelId',
      'version',
      'source',
      'storageLocation',
      'runId',
      'runLink',
      'loggedModelId',
      'status',
      'statusMessage',
      'currentStage',
      'description',
      'userId',
      'creationTime',
      'lastUpdatedTime',
      'name',
      'tags',
      'aliases',
    ]),
    model: 'ModelVersion',
    keyedBy: 'field',
    computed: ['name', 'tags', 'aliases'],
  },
  {
    name: 'registered models ROW_SQL',
    statement: Prisma.sql`SELECT ${ROW_SQL} FROM registered_models LIMIT 0`,
    keys: keysOf<RegisteredModelRow>()(['id', 'name', 'description', 'userId', 'creationTime', 'lastUpdatedTime']),
    model: 'RegisteredModel',
    keyedBy: 'field',
  },
  {
    name: 'registered model aliases ALIAS_SQL (findAlias)',
    statement: Prisma.sql`SELECT ${ALIAS_SQL} FROM registered_model_aliases LIMIT 0`,
    keys: keysOf<AliasRow>()(['modelId', 'alias', 'version']),
    model: 'RegisteredModelAlias',
    keyedBy: 'field',
  },
  {
    name: 'permission grants GRANT_COLUMNS (grantsFor, allGrantsFor)',
    statement: Prisma.sql`SELECT ${GRANT_COLUMNS} FROM permission_grants LIMIT 0`,
    keys: keysOf<GrantRecord>()(['resourceType', 'resourceId', 'principalType', 'principal', 'level']),
    model: 'PermissionGrant',
    keyedBy: 'field',
  },
];

const modelOf = (name: string) => {
  const m = Prisma.dmmf.datamodel.models.find((x) => x.name === name);
  if (!m) throw new Error(`no model ${name} in schema.prisma`);
  return m;
};
const columnOf = (f: { name: string; dbName?: string | null }) => f.dbName ?? f.name;

let tdb: TestDatabase;
let db: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDatabase(tdb.url, 2);
});

afterAll(async () => {
  await db.close();
  await tdb.drop();
});

describe.each(CASES)('$name', (c) => {
  it('returns exactly the columns its row type declares, on the migrated database', async () => {
    const result = await db.pool.query({ text: c.statement.text, values: c.statement.values });
    expect(result.fields.map((f) => f.name)).toEqual([...c.keys]);
  });

  it("reads each non-computed key from the model's field of that name in schema.prisma", () => {
    const model = modelOf(c.model);
    const scalars = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
    const text = c.statement.text.replace(/\s+/g, ' ');
    const computed = new Set(c.computed ?? []);
    for (const key of c.keys.filter((k) => !computed.has(k))) {
      const field = scalars.find((f) => (c.keyedBy === 'field' ? f.name : columnOf(f)) === key);
      expect({ key, field: field?.name ?? 'none in schema.prisma' }).toEqual({ key, field: expect.not.stringMatching(/^none/) });
      // A camelCase key must be the alias of the field's own column (`storage_location AS "storageLocation"`).
      const column = columnOf(field!);
      if (column !== key) expect({ key, aliased: new RegExp(`\\b${column} AS "${key}"`).test(text) }).toEqual({ key, aliased: true });
    }
  });

  it("selects from the model's table", () => {
    expect(c.statement.text).toMatch(new RegExp(`\\b(FROM|JOIN) ${modelOf(c.model).dbName ?? c.model}\\b`));
  });
});
