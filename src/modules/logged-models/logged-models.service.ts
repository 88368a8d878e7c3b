import type { Prisma } from '@prisma/client';
import { invalidParameter, notFound } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Finder, Found } from '../../http/route-table';
import type { Clock } from '../../lib/clock';
import { newLoggedModelId } from '../../lib/ids';
import { validateKey, validateLength } from '../../lib/keys';
import { LIMITS } from '../../http/limits';
import { artifactKey, joinKey, keyOfArtifactUri } from '../../storage/artifact-key';
import type { ArtifactEntry, ArtifactStore } from '../../storage/artifact-store';
import type { SearchLoggedModelsQuery } from '../../search/logged-models-search';
import type { ExperimentsService } from '../experiments/experiments.service';
import type { Level } from '../permissions/permission-levels';
import type { PermissionsService, VisibleScope } from '../permissions/permissions.service';
import type { RunGate } from '../runs/run-gate';
import { generateRunName } from '../runs/run-names';
import { loggedModelNotFound } from './logged-models.errors';
import type { LoggedModelRecord, LoggedModelsRepository } from './logged-models.repository';
import type { CreateLoggedModelInput } from './logged-models.schemas';

export type LoggedModelIdSearch = (q: SearchLoggedModelsQuery, scope: VisibleScope) => Promise<{ ids: string[]; nextPageToken?: string }>;

/**
 * The registry's live versions registered from these logged models, by registered model name, then
 * version. The registry owns those tables, so the container passes its lookup in.
 */
export type FindLoggedModelRegistrations = (loggedModelIds: string[]) => Promise<Array<{ loggedModelId: string; name: string; version: number }>>;

export interface LoggedModelsServiceOptions {
  repo: LoggedModelsRepository;
  experiments: ExperimentsService;
  /** Checks a logged model's source run. */
  runs: RunGate;
  permissions: PermissionsService;
  store: ArtifactStore;
  clock: Clock;
  searchIds: LoggedModelIdSearch;
  registrations: FindLoggedModelRegistrations;
}

const pairs = (kv: Array<{ key: string; value?: string }>) => kv.map((t) => ({ key: t.key, value: t.value ?? '' }));

function validatePairs(kind: 'param' | 'tag', kv: Array<{ key: string; value: string }>): void {
  for (const { key, value } of kv) {
    validateKey(kind, key);
    validateLength(`${kind} value for key '${key}'`, value, kind === 'param' ? LIMITS.paramValueLength : LIMITS.runTagValueLength);
  }
}

/** MLflow 3 logged models (service.proto § CreateLoggedModel and its siblings); permissions are the experiment's. */
export class LoggedModelsService {
  private readonly repo: LoggedModelsRepository;
  private readonly experiments: ExperimentsService;
  private readonly runs: RunGate;
  private readonly permissions: PermissionsService;
  private readonly store: ArtifactStore;
  private readonly clock: Clock;
  private readonly searchIds: LoggedModelIdSearch;
  private readonly registrations: FindLoggedModelRegistrations;

  constructor(options: LoggedModelsServiceOptions) {
    this.repo = options.repo;
    this.experiments = options.experiments;
    this.runs = options.runs;
    this.permissions = options.permissions;
    this.store = options.store;
    this.clock = options.clock;
    this.searchIds = options.searchIds;
    this.registrations = options.registrations;
  }

  /** 404 if absent (or deleted), 403 without `level` on its experiment: what the registry and runs ask through their gates. */
  async requireLoggedModel(p: Principal, modelId: string, level: Level): Promise<LoggedModelRecord> {
    const model = await this.existing(modelId);
    const exp = String(model.experimentId);
    await this.permissions.require(p, 'experiment', exp, level, `id=${exp} (logged model ${modelId})`);
    return model;
  }

  async hold(modelIds: readonly string[], tx: Prisma.TransactionClient): Promise<void> {
    if (modelIds.length === 0) return;
    const found = await this.repo.lockForKeyShare(modelIds, tx);
    const gone = modelIds.find((id) => !found.has(id));
    if (gone !== undefined) throw loggedModelNotFound(gone);
  }

  /** The route table's finder of a logged model's experiment: 404 if the model is absent (or deleted). */
  readonly experimentOf = <I>(idOf: (input: I) => string, via = 'the experiment of model_id'): Finder<I> => ({
    via,
    find: async (input): Promise<Found> => {
      const modelId = idOf(input);
      const experimentId = await this.repo.experimentIdOf(modelId);
      if (experimentId === null) throw loggedModelNotFound(modelId);
      const exp = String(experimentId);
      return { type: 'experiment', id: exp, what: `id=${exp} (logged model ${modelId})` };
    },
  });

  /**
   * The caller's EDIT on the experiment is the row's; the service checks the rest: an active
   * experiment, valid tags and params, then READ on the source run (a second resource).
   */
  async create(p: Principal, input: CreateLoggedModelInput): Promise<LoggedModelRecord> {
    const experiment = await this.experiments.get(input.experiment_id);
    if (experiment.lifecycleStage !== 'active') throw invalidParameter(`The experiment ${input.experiment_id} must be in the 'active' state.`);
    const tags = pairs(input.tags);
    const params = pairs(input.params);
    validatePairs('tag', tags);
    validatePairs('param', params);
    if (input.source_run_id) await this.runs.requireRun(p, input.source_run_id, 'READ');
    const id = newLoggedModelId();
    const now = BigInt(this.clock.nowMs());
    await this.repo.create(
      {
        id,
        experimentId: experiment.id,
        name: input.name || generateRunName(),
        modelType: input.model_type || null,
        sourceRunId: input.source_run_id || null,
        status: 'LOGGED_MODEL_PENDING',
        artifactLocation: `${experiment.artifactLocation.replace(/\/+$/, '')}/models/${id}/artifacts`,
        creationTime: now,
        lastUpdatedTime: now,
      },
      tags,
      params,
    );
    return (await this.findById(id))!;
  }

  get(id: string): Promise<LoggedModelRecord> {
    return this.existing(id);
  }

  async finalize(id: string, status: string): Promise<LoggedModelRecord> {
    await this.repo.setStatus(id, status, this.clock.nowMs());
    return this.existing(id);
  }

  async delete(id: string): Promise<void> {
    await this.repo.softDelete(id, this.clock.nowMs());
  }

  async setTags(id: string, tags: Array<{ key: string; value?: string }>): Promise<LoggedModelRecord> {
    const kv = pairs(tags);
    validatePairs('tag', kv);
    await this.repo.setTags(id, kv, this.clock.nowMs());
    return this.existing(id);
  }

  async deleteTag(id: string, key: string): Promise<void> {
    if (!(await this.repo.deleteTag(id, key))) throw notFound(`No tag with key '${key}' on logged model '${id}'.`);
  }

  async logParams(id: string, params: Array<{ key: string; value?: string }>): Promise<void> {
    const kv = pairs(params);
    validatePairs('param', kv);
    await this.repo.addParams(id, kv);
  }

  async search(p: Principal, q: SearchLoggedModelsQuery): Promise<{ items: LoggedModelRecord[]; nextPageToken?: string }> {
    const scope = await this.permissions.visibleScope(p, 'experiment', 'READ');
    const { ids, nextPageToken } = await this.searchIds(q, scope);
    return { items: await this.findManyByIds(ids), ...(nextPageToken ? { nextPageToken } : {}) };
  }

  private async findById(id: string): Promise<LoggedModelRecord | null> {
    return (await this.findManyByIds([id]))[0] ?? null;
  }

  /** 404 if absent (or deleted). */
  private async existing(id: string): Promise<LoggedModelRecord> {
    const model = await this.findById(id);
    if (!model) throw loggedModelNotFound(id);
    return model;
  }

  /** Models with tags, params, metrics and the registry versions that point at them, in the order of `ids`. */
  private async findManyByIds(ids: string[]): Promise<LoggedModelRecord[]> {
    if (ids.length === 0) return [];
    const [rows, registrations] = await Promise.all([this.repo.findManyByIds(ids), this.registrations(ids)]);
    return rows.map((r) => ({
      ...r,
      registrations: registrations.filter((g) => g.loggedModelId === r.id).map((g) => ({ name: g.name, version: g.version })),
    }));
  }

  /** The immediate children of a directory under the model's artifact root. */
  async listArtifacts(id: string, dir: string | undefined): Promise<{ rootUri: string; path: string; entries: ArtifactEntry[] }> {
    const model = await this.existing(id);
    const root = keyOfArtifactUri(model.artifactLocation);
    if (root === undefined) throw invalidParameter(`Logged model '${id}' stores its artifacts at ${model.artifactLocation}, which this server does not proxy.`);
    const path = dir ? artifactKey(dir, { allowRoot: true }) : '';
    return { rootUri: model.artifactLocation, path, entries: await this.store.list(joinKey(root, path)) };
  }
}
