import { invalidParameter, notFound, RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import { LIMITS } from '../../http/limits';
import type { Clock } from '../../lib/clock';
import { BoundedCache } from '../../lib/bounded-cache';
import { parseExperimentId } from '../../lib/ids';
import { validateKey, validateLength } from '../../lib/keys';
import type { SearchExperimentsQuery } from '../../search/experiments-search';
import type { AuditService } from '../audit/audit.service';
import type { Finder } from '../../http/route-table';
import type { Level } from '../permissions/permission-levels';
import type { PermissionsService, VisibleScope } from '../permissions/permissions.service';
import type { CreateExperimentInput } from './experiments.schemas';
import type { ExperimentRecord, ExperimentsRepository, ExperimentWithTags } from './experiments.repository';

export type { ExperimentRecord };

const experimentNotFound = (experimentId: string) => notFound(`No Experiment with id=${experimentId} exists`);

export type ExperimentSearchQuery = SearchExperimentsQuery;

/** The search module's SQL search (src/search), bound to the database by the container. */
export type ExperimentIdSearch = (input: ExperimentSearchQuery, scope: VisibleScope) => Promise<{ ids: bigint[]; nextPageToken?: string }>;

function validateArtifactLocation(location: string): void {
  if (location.startsWith('runs:')) {
    throw invalidParameter(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  }
  if (/[?#]/.test(location)) {
    throw invalidParameter(`Artifact location must not contain a query string or fragment. Given: '${location}'`);
  }
  validateLength('Artifact location', location, 2048);
}

function validateName(name: string): void {
  validateLength(`Experiment name '${name.slice(0, 40)}…'`, name, LIMITS.experimentNameLength);
}

export class ExperimentsService {
  constructor(
    private readonly repo: ExperimentsRepository,
    private readonly permissions: PermissionsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly searchIds: ExperimentIdSearch,
  ) {}

  /** 404 if absent, 403 if the caller lacks `level`: what runs, artifacts and logged models ask of experiments. */
  async requireExperiment(p: Principal, experimentId: string, level: Level): Promise<ExperimentRecord> {
    const id = parseExperimentId(experimentId);
    const experiment = await this.repo.findById(id);
    if (!experiment) throw experimentNotFound(experimentId);
    await this.permissions.require(p, 'experiment', String(id), level, `id=${experimentId}`);
    return experiment;
  }

  /** Experiment id → artifact location: fixed once the experiment exists (experiments are never hard-deleted). */
  private readonly locations = new BoundedCache<bigint, string>(10_000);

  async requireActive(p: Principal, experimentId: string, level: Level): Promise<ExperimentRecord> {
    const experiment = await this.requireExperiment(p, experimentId, level);
    if (experiment.lifecycleStage !== 'active') {
      throw invalidParameter(`The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`);
    }
    return experiment;
  }

  async create(p: Principal, input: CreateExperimentInput): Promise<string> {
    validateName(input.name);
    if (input.artifact_location) validateArtifactLocation(input.artifact_location);
    const tags = (input.tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));
    for (const t of tags) this.validateTag(t.key, t.value);
    const id = await this.repo.create(input.name, input.artifact_location || undefined, tags, this.clock.nowMs());
    await this.permissions.grantCreator(p, 'experiment', String(id));
    return String(id);
  }

  /** The route table's finder of an experiment by id: 404 if absent. */
  readonly byId = <I>(idOf: (input: I) => string, via = 'experiment_id'): Finder<I> => ({
    via,
    find: async (input) => {
      const experimentId = idOf(input);
      await this.exists(experimentId);
      return { id: experimentId, what: `id=${experimentId}` };
    },
  });

  /** The route table's finder of an experiment by name: 404 if absent. */
  readonly byName = <I>(nameOf: (input: I) => string): Finder<I> => ({
    via: 'experiment_name',
    find: async (input) => {
      const name = nameOf(input);
      const experiment = await this.repo.findByNameWithTags(name);
      if (!experiment) throw notFound(`Could not find experiment with name '${name}'`);
      return { id: String(experiment.id), what: `'${name}'` };
    },
  });

  async get(experimentId: string): Promise<ExperimentWithTags> {
    const experiment = await this.repo.findByIdWithTags(parseExperimentId(experimentId));
    if (!experiment) throw experimentNotFound(experimentId);
    return experiment;
  }

  async getByName(name: string): Promise<ExperimentWithTags> {
    const experiment = await this.repo.findByNameWithTags(name);
    if (!experiment) throw notFound(`Could not find experiment with name '${name}'`);
    return experiment;
  }

  async search(p: Principal, query: ExperimentSearchQuery): Promise<{ items: ExperimentWithTags[]; nextPageToken?: string }> {
    if (query.maxResults < 1 || query.maxResults > LIMITS.searchExperimentsMax) {
      throw invalidParameter(`Invalid value ${query.maxResults} for parameter 'max_results' supplied. It must be at most ${LIMITS.searchExperimentsMax} and positive.`);
    }
    const scope = await this.permissions.visibleScope(p, 'experiment', 'READ');
    const { ids, nextPageToken } = await this.searchIds(query, scope);
    return { items: await this.repo.findManyByIds(ids), ...(nextPageToken ? { nextPageToken } : {}) };
  }

  /** `p` is who the audit trail names. */
  async rename(p: Principal, experimentId: string, newName: string): Promise<void> {
    validateName(newName);
    const experiment = await this.existing(experimentId);
    if (experiment.lifecycleStage !== 'active') {
      // MLflow answers INVALID_STATE with HTTP 500 here; a user error must not be a 5xx the
      // client retries, so we keep the code and answer 400.
      throw new RegistryError('INVALID_STATE', `Cannot rename a non-active experiment. Experiment ${experimentId} is ${experiment.lifecycleStage}.`, {
        status: 400,
      });
    }
    await this.repo.rename(experiment.id, newName, this.clock.nowMs());
    await this.audit.record(p, [{ action: 'experiment_renamed', resourceType: 'experiment', experimentId: experiment.id, before: { name: experiment.name }, after: { name: newName } }]);
  }

  async delete(p: Principal, experimentId: string): Promise<void> {
    const experiment = await this.existing(experimentId);
    if (experiment.id === 0n) throw invalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
    if (experiment.lifecycleStage !== 'active') throw notFound(`Experiment ${experimentId} is already deleted.`);
    await this.repo.softDelete(experiment.id, this.clock.nowMs());
    await this.audit.record(p, [{ action: 'experiment_deleted', resourceType: 'experiment', experimentId: experiment.id }]);
  }

  async restore(p: Principal, experimentId: string): Promise<void> {
    const experiment = await this.existing(experimentId);
    if (experiment.lifecycleStage !== 'deleted') throw notFound(`Cannot restore experiment ${experimentId}: it is not deleted.`);
    await this.repo.restore(experiment.id, experiment.lastUpdateTime, this.clock.nowMs());
    await this.audit.record(p, [{ action: 'experiment_restored', resourceType: 'experiment', experimentId: experiment.id }]);
  }

  async setTag(experimentId: string, key: string, value: string): Promise<void> {
    this.validateTag(key, value);
    const experiment = await this.active(experimentId);
    await this.repo.setTag(experiment.id, key, value);
  }

  async deleteTag(experimentId: string, key: string): Promise<void> {
    const experiment = await this.active(experimentId);
    if (!(await this.repo.deleteTag(experiment.id, key))) {
      throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    }
  }

  /** 404 if absent. A known location means it exists: experiments are never removed while the service runs. */
  async exists(experimentId: string): Promise<void> {
    const id = parseExperimentId(experimentId);
    if (this.locations.get(id) === undefined && !(await this.repo.findById(id))) throw experimentNotFound(experimentId);
  }

  private async existing(experimentId: string): Promise<ExperimentRecord> {
    const experiment = await this.repo.findById(parseExperimentId(experimentId));
    if (!experiment) throw experimentNotFound(experimentId);
    return experiment;
  }

  /** 404 if absent, 400 if not active. */
  async active(experimentId: string): Promise<ExperimentRecord> {
    const experiment = await this.existing(experimentId);
    if (experiment.lifecycleStage !== 'active') {
      throw invalidParameter(`The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`);
    }
    return experiment;
  }

  /**
   * For creating a run in an experiment: 404 if absent, 400 if not active on the first call; after
   * that the experiment is not read again, and the caller's write must check that it is still
   * active (its lifecycle may change, its id and location cannot).
   */
  async forNewRun(experimentId: string): Promise<{ id: bigint; artifactLocation: string }> {
    const id = parseExperimentId(experimentId);
    const artifactLocation = this.locations.get(id);
    if (artifactLocation !== undefined) return { id, artifactLocation };
    const experiment = await this.active(experimentId);
    this.locations.set(id, experiment.artifactLocation);
    return experiment;
  }

  private validateTag(key: string, value: string): void {
    validateKey('tag', key);
    validateLength(`Tag value for key '${key}'`, value, LIMITS.experimentTagValueLength);
  }
}
