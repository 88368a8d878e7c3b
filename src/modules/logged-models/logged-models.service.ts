import { invalidParameter, notFound } from '../../errors';
import type { Principal } from '../../http/principal';
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
import { generateRunName } from '../runs/run-names';
import type { RunsService } from '../runs/runs.service';
import type { LoggedModelRecord, LoggedModelsRepository } from './logged-models.repository';
import type { CreateLoggedModelInput } from './logged-models.schemas';

/** MLflow's answer for a logged model that does not exist (or is deleted). */
export const loggedModelNotFound = (modelId: string) => notFound(`Logged model with ID '${modelId}' not found.`);

export type LoggedModelIdSearch = (q: SearchLoggedModelsQuery, scope: VisibleScope) => Promise<{ ids: string[]; nextPageToken?: string }>;

const pairs = (kv: Array<{ key: string; value?: string }>) => kv.map((t) => ({ key: t.key, value: t.value ?? '' }));

function validatePairs(kind: 'param' | 'tag', kv: Array<{ key: string; value: string }>): void {
  for (const { key, value } of kv) {
    validateKey(kind, key);
    validateLength(`${kind} value for key '${key}'`, value, kind === 'param' ? LIMITS.paramValueLength : LIMITS.runTagValueLength);
  }
}

/** MLflow 3 logged models (mlflow-api.md §1.4); permissions are the experiment's. */
export class LoggedModelsService {
  constructor(
    private readonly repo: LoggedModelsRepository,
    private readonly experiments: ExperimentsService,
    private readonly runs: RunsService,
    private readonly permissions: PermissionsService,
    private readonly store: ArtifactStore,
    private readonly clock: Clock,
    private readonly searchIds: LoggedModelIdSearch,
  ) {}

  /** 404 if absent (or deleted), 403 without `level` on its experiment. */
  async requireLoggedModel(p: Principal, modelId: string, level: Level): Promise<LoggedModelRecord> {
    const model = await this.repo.findById(modelId);
    if (!model) throw loggedModelNotFound(modelId);
    const exp = String(model.experimentId);
    await this.permissions.require(p, 'experiment', exp, level, `id=${exp} (logged model ${modelId})`);
    return model;
  }

  async create(p: Principal, input: CreateLoggedModelInput): Promise<LoggedModelRecord> {
    const experiment = await this.experiments.requireExperiment(p, input.experiment_id, 'EDIT');
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
    return (await this.repo.findById(id))!;
  }

  get(p: Principal, id: string): Promise<LoggedModelRecord> {
    return this.requireLoggedModel(p, id, 'READ');
  }

  async finalize(p: Principal, id: string, status: string): Promise<LoggedModelRecord> {
    await this.requireLoggedModel(p, id, 'EDIT');
    await this.repo.setStatus(id, status, this.clock.nowMs());
    return (await this.repo.findById(id))!;
  }

  async delete(p: Principal, id: string): Promise<void> {
    await this.requireLoggedModel(p, id, 'MANAGE');
    await this.repo.softDelete(id, this.clock.nowMs());
  }

  async setTags(p: Principal, id: string, tags: Array<{ key: string; value?: string }>): Promise<LoggedModelRecord> {
    const kv = pairs(tags);
    validatePairs('tag', kv);
    await this.requireLoggedModel(p, id, 'EDIT');
    await this.repo.setTags(id, kv, this.clock.nowMs());
    return (await this.repo.findById(id))!;
  }

  async deleteTag(p: Principal, id: string, key: string): Promise<void> {
    await this.requireLoggedModel(p, id, 'EDIT');
    if (!(await this.repo.deleteTag(id, key))) throw notFound(`No tag with key '${key}' on logged model '${id}'.`);
  }

  async logParams(p: Principal, id: string, params: Array<{ key: string; value?: string }>): Promise<void> {
    const kv = pairs(params);
    validatePairs('param', kv);
    await this.requireLoggedModel(p, id, 'EDIT');
    await this.repo.addParams(id, kv);
  }

  async search(p: Principal, q: SearchLoggedModelsQuery): Promise<{ items: LoggedModelRecord[]; nextPageToken?: string }> {
    const scope = await this.permissions.visibleScope(p, 'experiment', 'READ');
    const { ids, nextPageToken } = await this.searchIds(q, scope);
    return { items: await this.repo.findManyByIds(ids), ...(nextPageToken ? { nextPageToken } : {}) };
  }

  /** The immediate children of a directory under the model's artifact root. */
  async listArtifacts(p: Principal, id: string, dir: string | undefined): Promise<{ rootUri: string; path: string; entries: ArtifactEntry[] }> {
    const model = await this.requireLoggedModel(p, id, 'READ');
    const root = keyOfArtifactUri(model.artifactLocation);
    if (root === undefined) throw invalidParameter(`Logged model '${id}' stores its artifacts at ${model.artifactLocation}, which this server does not proxy.`);
    const path = dir ? artifactKey(dir, { allowRoot: true }) : '';
    return { rootUri: model.artifactLocation, path, entries: await this.store.list(joinKey(root, path)) };
  }
}
