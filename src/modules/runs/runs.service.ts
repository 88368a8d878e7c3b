import type { Prisma } from '@prisma/client';
import { randomUUID } from 'node:crypto';
import { invalidParameter, notFound, type RegistryError } from '../../errors';
import { LIMITS } from '../../http/limits';
import type { Principal } from '../../http/principal';
import { BoundedCache } from '../../lib/bounded-cache';
import type { Clock } from '../../lib/clock';
import { newRunId } from '../../lib/ids';
import { validateKey, validateLength } from '../../lib/keys';
import { decodeKeysetOrOffsetToken, encodeKeysetToken } from '../../lib/page-token';
import type { SearchRunsQuery } from '../../search/runs-search';
import type { ExperimentsService } from '../experiments/experiments.service';
import { loggedModelNotFound } from '../logged-models/logged-models.errors';
import type { Level } from '../permissions/permission-levels';
import type { PermissionsService, VisibleScope } from '../permissions/permissions.service';
import type { Finder, Found } from '../../http/route-table';
import type { RunGate } from './run-gate';
import { generateRunName } from './run-names';
import { type MetricRow, type ModelMetricRow, type RunRecord, type RunsRepository, type RunWithData, toStoredValue } from './runs.repository';
import type { CreateRunInput, LogBatchInput, LogInputsInput, MetricInput } from './runs.schemas';

export type { RunRecord, RunWithData };

export type RunSearchQuery = SearchRunsQuery;

/** The search module's SQL search (src/search/runs-search.ts), bound to the database by the container. */
export type RunIdSearch = (input: RunSearchQuery, scope: VisibleScope) => Promise<{ ids: string[]; nextPageToken?: string }>;

const RUN_NAME_TAG = 'mlflow.runName';
const LOG_MODEL_HISTORY_TAG = 'mlflow.log-model.history';
const DATASET_LIMITS = { name: 500, digest: 36, source: 65_535, schema: 1_048_575, profile: 16_777_215 } as const;

/** Over-long param and tag values: MLflow truncates them by default; we refuse them with 400 so nothing is silently lost. */
function validateParam(key: string, value: string): void {
  validateKey('param', key);
  validateLength(`Param value for key '${key}'`, value, LIMITS.paramValueLength);
}

function validateTag(key: string, value: string): void {
  validateKey('tag', key);
  validateLength(`Tag value for key '${key}'`, value, LIMITS.runTagValueLength);
}

/** `checkedKeys`: keys of this batch already validated (a batch repeats a few keys many times). */
function validateMetric(m: MetricInput, checkedKeys: Set<string>): void {
  if (!checkedKeys.has(m.key)) {
    validateKey('metric', m.key);
    checkedKeys.add(m.key);
  }
  if (m.timestamp < 0) throw invalidParameter(`Invalid timestamp ${m.timestamp} for metric '${m.key}': must be non-negative.`);
}

const toRow = (m: MetricInput): MetricRow => {
  const { value, isNan } = toStoredValue(m.value);
  return { key: m.key, value, timestamp: m.timestamp, step: m.step ?? 0, isNan };
};

/** Per key, the point that is greatest by (step, timestamp, value): what latest_metrics keeps. */
function latestPerKey(rows: MetricRow[]): MetricRow[] {
  const best = new Map<string, MetricRow>();
  for (const r of rows) {
    const b = best.get(r.key);
    if (!b || r.step > b.step || (r.step === b.step && (r.timestamp > b.timestamp || (r.timestamp === b.timestamp && r.value > b.value)))) {
      best.set(r.key, r);
    }
  }
  return [...best.values()];
}

/** The runs of one get-history-bulk-interval request: 1 to 100, as in MLflow. */
export function bulkRunIds(runIds: readonly string[]): readonly string[] {
  if (runIds.length < 1 || runIds.length > 100) throw invalidParameter(`GetMetricHistoryBulkInterval request must specify between 1 and 100 run_ids. Received ${runIds.length} run_ids.`);
  return runIds;
}

export class RunsService implements RunGate {
  constructor(
    private readonly repo: RunsRepository,
    private readonly experiments: ExperimentsService,
    private readonly permissions: PermissionsService,
    private readonly clock: Clock,
    private readonly searchIds: RunIdSearch,
  ) {}

  /** Run id → experiment id. Fixed for a run's life: runs never move and are never hard-deleted. */
  private readonly experimentOfRun = new BoundedCache<string, bigint>(50_000);

  /** 404 if absent, 403 if the caller lacks `level` on the run's experiment; what other modules ask through RunGate. */
  async requireRun(p: Principal, runId: string, level: Level): Promise<RunRecord> {
    const run = await this.existing(runId);
    await this.requireOnExperiment(p, runId, run.experimentId, level);
    return run;
  }

  async hold(runIds: readonly string[], tx: Prisma.TransactionClient): Promise<void> {
    if (runIds.length === 0) return;
    const found = await this.repo.lockForKeyShare(runIds, tx);
    const gone = runIds.find((id) => !found.has(id));
    if (gone !== undefined) throw notFound(`Run with id=${gone} not found`);
  }

  private requireOnExperiment(p: Principal, runId: string, experimentId: bigint, level: Level): Promise<Level> {
    const id = String(experimentId);
    return this.permissions.require(p, 'experiment', id, level, `id=${id} (run ${runId})`);
  }

  /**
   * The route table's finder of a run's experiment: 404 if the run is absent. The run is read only
   * the first time: runs never move, so a tracking write whose run is known reads nothing before its
   * statement, which itself checks that the run is still active (see failedWrite).
   */
  readonly experimentOf = <I>(idOf: (input: I) => string, via = 'the experiment of run_id'): Finder<I> => ({
    via,
    find: (input) => this.ofRun(idOf(input)),
  });

  /** The same for several runs at once (each must exist; the caller needs the level on each experiment). */
  readonly experimentsOf = <I>(idsOf: (input: I) => readonly string[], via = 'the experiments of run_ids'): Finder<I> => ({
    via,
    find: async (input) => {
      const found: Found[] = [];
      for (const id of new Set(idsOf(input))) found.push(await this.ofRun(id));
      return found;
    },
  });

  /** A run's experiment as the authorization step names it: 404 if the run is absent. */
  async ofRun(runId: string): Promise<Found> {
    const experimentId = await this.experimentIdOf(runId);
    return { type: 'experiment', id: String(experimentId), what: `id=${experimentId} (run ${runId})` };
  }

  async experimentIdOf(runId: string): Promise<bigint> {
    return this.experimentOfRun.get(runId) ?? (await this.existing(runId)).experimentId;
  }

  find(runId: string): Promise<RunRecord> {
    return this.existing(runId);
  }

  /** 404 if absent; remembers the run's experiment. */
  private async existing(runId: string): Promise<RunRecord> {
    if (!runId) throw invalidParameter("Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.");
    const run = await this.repo.findById(runId);
    if (!run) throw notFound(`Run with id=${runId} not found`);
    this.experimentOfRun.set(runId, run.experimentId);
    return run;
  }

  /** 404 if absent, 400 if not active. */
  private async activeRun(runId: string): Promise<RunRecord> {
    const run = await this.existing(runId);
    if (run.lifecycleStage !== 'active') throw this.failedWrite(runId, run.lifecycleStage);
    return run;
  }

  /** The error for a write that found its run absent or not active. */
  private failedWrite(runId: string, lifecycleStage: string | null): RegistryError {
    return lifecycleStage === null ? notFound(`Run with id=${runId} not found`) : invalidParameter(`The run ${runId} must be in the 'active' state. Current state is ${lifecycleStage}.`);
  }

  /** `p` is the run's user unless the input names one. */
  async create(p: Principal, input: CreateRunInput): Promise<RunWithData> {
    const experimentId = input.experiment_id ?? '0';
    const experiment = await this.experiments.forNewRun(experimentId);
    const tags = new Map((input.tags ?? []).map((t) => [t.key, t.value ?? '']));
    for (const [k, v] of tags) validateTag(k, v);
    const tagName = tags.get(RUN_NAME_TAG);
    if (input.run_name && tagName !== undefined && tagName !== input.run_name) {
      throw invalidParameter(`Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.run_name}', mlflow.runName='${tagName}').`);
    }
    const name = input.run_name || tagName || generateRunName();
    // The tag may be longer than a name (8,000 against 250, MLflow's runs.name column); the runs
    // (experiment_id, lifecycle_stage, name) index holds whole names, so a longer one is refused.
    validateLength(`Run name (from the '${RUN_NAME_TAG}' tag)`, name, LIMITS.runNameLength);
    tags.set(RUN_NAME_TAG, name);
    const id = newRunId();
    // The new run, with everything it has: built as one literal, for a spread of a record into a
    // bigger one makes V8 build the result property by property (see withData in the repository).
    const run: RunWithData = {
      id,
      experimentId: experiment.id,
      name,
      userId: input.user_id || p.subject,
      status: 'RUNNING',
      startTime: BigInt(input.start_time ?? this.clock.nowMs()),
      endTime: null,
      lifecycleStage: 'active',
      deletedTime: null,
      artifactUri: `${experiment.artifactLocation.replace(/\/+$/, '')}/${id}/artifacts`,
      metrics: [],
      params: [],
      tags: [...tags].map(([key, value]) => ({ key, value })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      datasetInputs: [],
      modelInputs: [],
      modelOutputs: [],
    };
    if (!(await this.repo.create(run, run.tags))) {
      // The experiment was deleted since it was first checked: this throws the error to answer.
      await this.experiments.active(experimentId);
      throw invalidParameter(`The experiment ${experimentId} changed while the run was created; retry.`);
    }
    this.experimentOfRun.set(id, experiment.id);
    // A new run has nothing else: no need to read it back.
    return run;
  }

  async get(runId: string): Promise<RunWithData> {
    const [run] = await this.repo.findManyByIds([runId]);
    if (!run) throw notFound(`Run with id=${runId} not found`);
    return run;
  }

  async update(runId: string, fields: { status?: string; endTime?: number; name?: string }): Promise<RunRecord> {
    if (fields.name !== undefined) validateTag(RUN_NAME_TAG, fields.name);
    const run = await this.repo.update(runId, { status: fields.status, endTime: fields.endTime, name: fields.name || undefined });
    if (!run) throw this.failedWrite(runId, (await this.repo.findById(runId))?.lifecycleStage ?? null);
    return run;
  }

  async delete(runId: string): Promise<void> {
    await this.existing(runId);
    // Soft delete: the run's artifacts stay in the store (mlflow-api.md §1.2; README "Artifact storage").
    await this.repo.setLifecycle(runId, 'deleted', this.clock.nowMs());
  }

  async restore(runId: string): Promise<void> {
    await this.existing(runId);
    await this.repo.setLifecycle(runId, 'active', null);
  }

  logMetric(p: Principal, runId: string, metric: MetricInput): Promise<void> {
    return this.logBatch(p, { run_id: runId, metrics: [metric], params: [], tags: [] });
  }

  logParam(p: Principal, runId: string, key: string, value: string): Promise<void> {
    return this.logBatch(p, { run_id: runId, metrics: [], params: [{ key, value }], tags: [] });
  }

  setTag(p: Principal, runId: string, key: string, value: string): Promise<void> {
    return this.logBatch(p, { run_id: runId, metrics: [], params: [], tags: [{ key, value }] });
  }

  /**
   * Validates everything first, then writes the batch in one statement (see RunsRepository.logBatch).
   * `p` needs EDIT on the experiment of each logged model a metric names.
   */
  async logBatch(p: Principal, input: LogBatchInput): Promise<void> {
    const { metrics, params, tags } = input;
    if (metrics.length > LIMITS.logBatchMetrics) throw invalidParameter(`A batch logging request can contain at most ${LIMITS.logBatchMetrics} metrics. Got ${metrics.length} metrics.`);
    if (params.length > LIMITS.logBatchParams) throw invalidParameter(`A batch logging request can contain at most ${LIMITS.logBatchParams} params. Got ${params.length} params.`);
    if (tags.length > LIMITS.logBatchTags) throw invalidParameter(`A batch logging request can contain at most ${LIMITS.logBatchTags} tags. Got ${tags.length} tags.`);
    const total = metrics.length + params.length + tags.length;
    if (total > LIMITS.logBatchTotal) throw invalidParameter(`A batch logging request can contain at most ${LIMITS.logBatchTotal} metrics, params and tags in total. Got ${total}.`);
    const checkedKeys = new Set<string>();
    for (const m of metrics) validateMetric(m, checkedKeys);
    const seen = new Set<string>();
    for (const prm of params) {
      validateParam(prm.key, prm.value);
      if (seen.has(prm.key)) throw invalidParameter(`Duplicate parameter keys have been submitted: '${prm.key}'. Please ensure the request contains only one param value per param key.`);
      seen.add(prm.key);
    }
    tags.forEach((t) => validateTag(t.key, t.value));
    const rows = metrics.map(toRow);
    const modelRows = await this.modelMetricRows(p, metrics, rows);
    const lastTags = [...new Map(tags.map((t) => [t.key, t.value])).entries()].map(([key, value]) => ({ key, value }));
    const { lifecycleStage, conflicts } = await this.repo.logBatch(input.run_id, rows, latestPerKey(rows), params, lastTags, modelRows);
    if (lifecycleStage !== 'active') throw this.failedWrite(input.run_id, lifecycleStage);
    if (conflicts.length > 0) {
      const c = conflicts[0]!;
      throw invalidParameter(
        `Changing param values is not allowed. Param with key='${c.key}' was already logged with value='${c.old}' for run ID='${input.run_id}'. Attempted logging new value '${c.new}'.`,
      );
    }
  }

  /**
   * The points logged with a model_id (MLflow 3), as rows of that logged model's metrics; `rows`
   * are the same points as stored for the run. Each model must exist, and the caller may edit its
   * experiment as well as the run's.
   */
  private async modelMetricRows(p: Principal, metrics: MetricInput[], rows: MetricRow[]): Promise<ModelMetricRow[]> {
    const modelRows: ModelMetricRow[] = [];
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i]!;
      if (!m.model_id) continue;
      validateLength(`Dataset name of metric '${m.key}'`, m.dataset_name ?? '', DATASET_LIMITS.name);
      validateLength(`Dataset digest of metric '${m.key}'`, m.dataset_digest ?? '', DATASET_LIMITS.digest);
      const r = rows[i]!;
      modelRows.push({
        modelId: m.model_id,
        key: r.key,
        value: r.value,
        timestamp: r.timestamp,
        step: r.step,
        isNan: r.isNan,
        datasetName: m.dataset_name || null,
        datasetDigest: m.dataset_digest || null,
      });
    }
    if (modelRows.length === 0) return modelRows;
    await this.requireLoggedModels(
      p,
      modelRows.map((r) => r.modelId),
      'EDIT',
    );
    return modelRows;
  }

  /** 404 for a logged model that is absent or deleted, 403 without `level` on its experiment. */
  private async requireLoggedModels(p: Principal, modelIds: readonly string[], level: Level): Promise<void> {
    if (modelIds.length === 0) return;
    const ids = [...new Set(modelIds)];
    const experimentOf = await this.repo.loggedModelExperiments(ids);
    const missing = ids.find((id) => !experimentOf.has(id));
    if (missing !== undefined) throw loggedModelNotFound(missing);
    for (const exp of new Set([...experimentOf.values()].map(String))) {
      await this.permissions.require(p, 'experiment', exp, level, `id=${exp}`);
    }
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.activeRun(runId);
    if (!(await this.repo.deleteTag(runId, key))) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
  }

  /** Appends the model summary to the run's mlflow.log-model.history tag (MLflow 2.x log_model). */
  async logModel(runId: string, modelJson: string): Promise<void> {
    let model: unknown;
    try {
      model = JSON.parse(modelJson);
    } catch {
      throw invalidParameter(`Malformed model info. 'model_json' is not valid JSON.`);
    }
    const required = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'];
    const missing = typeof model === 'object' && model !== null ? required.filter((k) => !(k in model)) : required;
    if (missing.length > 0) throw invalidParameter(`Model json is missing mandatory fields: ${missing.join(', ')}`);
    await this.activeRun(runId);
    const previous = await this.repo.getTag(runId, LOG_MODEL_HISTORY_TAG);
    let history: unknown[] = [];
    try {
      const parsed: unknown = previous ? JSON.parse(previous) : [];
      history = Array.isArray(parsed) ? parsed : [];
    } catch {
      history = [];
    }
    const value = JSON.stringify([...history, model]);
    await this.repo.logBatch(runId, [], [], [], [{ key: LOG_MODEL_HISTORY_TAG, value }]);
  }

  /** `p` needs READ on the experiment of each logged model linked. */
  async logInputs(p: Principal, input: LogInputsInput): Promise<void> {
    if (input.datasets.length > 1000) throw invalidParameter(`A request can contain at most 1000 datasets. Got ${input.datasets.length}.`);
    for (const { dataset: d, tags } of input.datasets) {
      for (const [field, limit] of Object.entries(DATASET_LIMITS)) {
        const v = d[field as keyof typeof DATASET_LIMITS];
        if (v !== undefined) validateLength(`Dataset ${field}`, v, limit);
      }
      for (const t of tags ?? []) {
        validateLength('Input tag key', t.key, 255);
        validateLength(`Input tag value for key '${t.key}'`, t.value ?? '', 500);
      }
    }
    const run = await this.activeRun(input.run_id);
    // Linking a run to a logged model shows the model in the run's inputs: the caller must be able to read it.
    await this.requireLoggedModels(
      p,
      input.models.map((m) => m.model_id),
      'READ',
    );
    await this.repo.logInputs(
      run.id,
      run.experimentId,
      input.datasets.map(({ dataset, tags }) => ({ dataset, tags: (tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' })) })),
      input.models.map((m) => m.model_id),
      () => randomUUID().replace(/-/g, ''),
    );
  }

  /** `p` needs READ on the experiment of each logged model linked. */
  async logOutputs(p: Principal, runId: string, models: Array<{ model_id: string; step: number }>): Promise<void> {
    await this.activeRun(runId);
    await this.requireLoggedModels(
      p,
      models.map((m) => m.model_id),
      'READ',
    );
    await this.repo.logOutputs(
      runId,
      models.map((m) => ({ modelId: m.model_id, step: m.step })),
    );
  }

  async metricHistory(runId: string, key: string, maxResults: number | undefined, pageToken: string | undefined): Promise<{ items: MetricRow[]; nextPageToken?: string }> {
    if (maxResults !== undefined && (maxResults < 1 || maxResults > 25_000_000)) throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied.`);
    const token = decodeKeysetOrOffsetToken(pageToken, 4);
    let from: { offset: number } | { after: [number, number, number, boolean] };
    if ('offset' in token) from = token;
    else {
      const [timestamp, step, value, isNan] = token.after as [string, string, string, string];
      const numbers = [Number(timestamp), Number(step)];
      if (!numbers.every(Number.isSafeInteger) || !/^(true|false)$/.test(isNan) || (Number.isNaN(Number(value)) && value !== 'NaN'))
        throw invalidParameter(`Invalid page token: ${pageToken}`);
      from = { after: [numbers[0]!, numbers[1]!, Number(value), isNan === 'true'] };
    }
    const rows = await this.repo.metricHistory(runId, key, from, maxResults === undefined ? null : maxResults + 1);
    if (maxResults === undefined || rows.length <= maxResults) return { items: rows };
    const last = rows[maxResults - 1]!;
    // The next page starts after the last point of this one, by the sort key (deep pages cost what the first does).
    return { items: rows.slice(0, maxResults), nextPageToken: encodeKeysetToken([String(last.timestamp), String(last.step), String(last.value), String(last.isNan)]) };
  }

  /** Down-sampled histories for charts: at most `maxResults` evenly spread steps per run, first and last kept. */
  async metricHistoryBulkInterval(
    runIds: string[],
    key: string,
    startStep: number | undefined,
    endStep: number | undefined,
    maxResults: number,
  ): Promise<Array<MetricRow & { runId: string }>> {
    bulkRunIds(runIds);
    if ((startStep === undefined) !== (endStep === undefined)) throw invalidParameter('If either start_step or end_step are specified, both must be specified.');
    if (startStep !== undefined && endStep !== undefined && startStep > endStep)
      throw invalidParameter(`end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`);
    if (maxResults < 1 || maxResults > 2500) throw invalidParameter(`max_results must be between 1 and 2500. Received ${maxResults}.`);
    const points = await this.repo.sampledMetricPoints(runIds, key, startStep, endStep, maxResults);
    // In the order of run_ids, as asked.
    const byRun = new Map<string, Array<MetricRow & { runId: string }>>();
    for (const pt of points) {
      const list = byRun.get(pt.runId);
      if (list) list.push(pt);
      else byRun.set(pt.runId, [pt]);
    }
    return runIds.flatMap((runId) => byRun.get(runId) ?? []);
  }

  async search(p: Principal, query: RunSearchQuery): Promise<{ items: RunWithData[]; nextPageToken?: string }> {
    const scope = await this.permissions.visibleScope(p, 'experiment', 'READ');
    const { ids, nextPageToken } = await this.searchIds(query, scope);
    return { items: await this.repo.findManyByIds(ids), ...(nextPageToken ? { nextPageToken } : {}) };
  }
}
