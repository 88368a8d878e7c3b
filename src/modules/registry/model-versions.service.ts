import type { Prisma } from '@prisma/client';
import { invalidParameter, notFound } from '../../errors';
import { shown } from '../../lib/shown';
import { ownerOfKey, WHERE_VERSIONS_LIVE } from '../../storage/artifact-layout';
import { keyOfArtifactUri, relativeKey } from '../../storage/artifact-key';
import type { Principal } from '../../http/principal';
import type { Finder } from '../../http/route-table';
import type { Clock } from '../../lib/clock';
import type { AuditEvent, AuditService } from '../audit/audit.service';
import type { PermissionsService, VisibleScope } from '../permissions/permissions.service';
import type { RegisteredModelsRepository } from './registered-models.repository';
import type { Tag } from './registry-records';
import { type ModelGrant, modelNotFound, type RegistryAccess, versionNotFound } from './registry-access';
import type { RegistryWrites } from './registry-writes';
import { validateAlias, validateTag } from './registry-validation';
import { isPromptRequest } from '../../lib/prompts';
import { type ModelSource, parseModelSource, type VersionSelector } from './model-source';
import type { ModelVersionRecord, ModelVersionsRepository, VersionKey } from './model-versions.repository';
import type { RunGate } from '../runs/run-gate';
import type { LoggedModelGate } from './registry-gates';
import { assertArchivable, canonicalStage, levelForTransition, type Stage } from './stages';
import type { Governance } from './governance';
import type { Db } from './registry-records';

export interface ModelVersionSearchInput {
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
}

/** src/search's searchModelVersionKeys, bound to the database by the container. */
export type SearchModelVersionKeys = (input: ModelVersionSearchInput, scope: VisibleScope) => Promise<{ keys: VersionKey[]; nextPageToken?: string }>;

export interface CreateModelVersionInput {
  source: string;
  runId?: string;
  runLink?: string;
  description?: string;
  loggedModelId?: string;
  tags: Tag[];
}

export type { ModelVersionRecord, VersionSelector };

export interface ModelVersionsServiceOptions {
  versions: ModelVersionsRepository;
  models: RegisteredModelsRepository;
  access: RegistryAccess;
  writes: RegistryWrites;
  permissions: PermissionsService;
  audit: AuditService;
  clock: Clock;
  /** Checks the run a version names (run_id, runs:/ sources). */
  runs: RunGate;
  /** Checks the MLflow 3 logged model a version names (model_id, models:/m-… sources). */
  loggedModels: LoggedModelGate;
  search: SearchModelVersionKeys;
  /** Approval policy and the closing of open promotion requests (README "Promotion requests"). */
  governance?: Governance;
}

const event = (a: { model: { id: bigint; name: string } }, e: Omit<AuditEvent, 'resourceType' | 'modelId' | 'modelName'>): AuditEvent => ({
  resourceType: 'registered_model',
  modelId: a.model.id,
  modelName: a.model.name,
  ...e,
});

/**
 * Model versions (MLflow's REST API § Model Registry): numbers allocated atomically and never reused, soft
 * delete, stage transitions serialised on the model row, and the resolver serving uses.
 */
export class ModelVersionsService {
  private readonly versions: ModelVersionsRepository;
  private readonly models: RegisteredModelsRepository;
  private readonly access: RegistryAccess;
  private readonly writes: RegistryWrites;
  private readonly permissions: PermissionsService;
  private readonly audit: AuditService;
  private readonly clock: Clock;
  private readonly runs: RunGate;
  private readonly loggedModels: LoggedModelGate;
  private readonly search: SearchModelVersionKeys;
  private readonly governance: Governance | undefined;

  constructor(options: ModelVersionsServiceOptions) {
    this.versions = options.versions;
    this.models = options.models;
    this.access = options.access;
    this.writes = options.writes;
    this.permissions = options.permissions;
    this.audit = options.audit;
    this.clock = options.clock;
    this.runs = options.runs;
    this.loggedModels = options.loggedModels;
    this.search = options.search;
    this.governance = options.governance;
  }

  /** The route table's finder of the model of version (`name`, `version`): 404 if either is absent. */
  readonly modelOf: Finder<{ name: string; version: number }> = {
    via: 'the registered model of version (name, version)',
    find: async (input, p) => {
      const { model, grants } = await this.access.findWithGrants(p, input.name);
      if (!(await this.versions.findRow({ modelId: model.id, version: input.version }))) throw versionNotFound(input.name, input.version);
      return this.access.found(model, grants);
    },
  };

  /**
   * A new version of `model` (the caller holds EDIT on it). The sources it names need READ: the run
   * (run_id, runs:/), the logged model (model_id, models:/m-…), the registered model (models:/), the
   * owner of a mlflow-artifacts:/ key.
   */
  async create(p: Principal, model: ModelGrant, input: CreateModelVersionInput): Promise<ModelVersionRecord> {
    for (const t of input.tags) validateTag(t.key, t.value);
    const access = { model };
    const source = parseModelSource(input.source, { prompt: isPromptRequest(input.tags) });
    const storageLocation = await this.storageLocationOf(p, model.id, source);
    if (input.runId !== undefined) await this.runs.requireRun(p, input.runId, 'READ');
    // MLflow 3 registers logged models as models:/m-…; the version then carries that model_id.
    const loggedModelId = input.loggedModelId ?? (source.kind === 'logged-model' ? source.modelId : undefined);
    if (input.loggedModelId !== undefined) await this.loggedModels.requireLoggedModel(p, input.loggedModelId, 'READ');
    const key = await this.writes.transaction(async (tx) => {
      await this.holdOwners(storageLocation, input.runId, loggedModelId, tx);
      const nowMs = this.clock.nowMs();
      const version = await this.models.allocateVersion(access.model.id, nowMs, tx);
      // The model was deleted since it was looked up: throwing rolls the transaction back.
      if (version === null) throw modelNotFound(model.name);
      await this.versions.insert(
        {
          modelId: access.model.id,
          version,
          source: input.source,
          storageLocation,
          runId: input.runId ?? null,
          runLink: input.runLink ?? null,
          loggedModelId: loggedModelId ?? null,
          status: 'READY',
          statusMessage: null,
          currentStage: 'None',
          description: input.description ?? null,
          userId: p.subject,
          creationTime: BigInt(nowMs),
          lastUpdatedTime: BigInt(nowMs),
        },
        input.tags,
        tx,
      );
      const payload = { source: input.source, run_id: input.runId ?? null, tags: input.tags, description: input.description ?? null };
      await this.audit.record(p, [event(access, { action: 'create_model_version', version, after: { stage: 'None', source: input.source }, payload })], tx);
      return { modelId: access.model.id, version };
    });
    // Gone if the model (or the version) was deleted once the transaction committed.
    const [record] = await this.versions.load([key]);
    if (!record) throw versionNotFound(model.name, key.version);
    return record;
  }

  async get(p: Principal, model: ModelGrant, version: number): Promise<ModelVersionRecord> {
    return this.resolveIn(p, model, { version });
  }

  /** Where the version's files are: the resolved storage location, else the source. */
  async getDownloadUri(p: Principal, model: ModelGrant, version: number): Promise<string> {
    const v = await this.resolveIn(p, model, { version });
    return v.storageLocation ?? v.source;
  }

  /** resolveIn() for callers outside the route table: needs USE on the model named. */
  async resolve(p: Principal, name: string, selector: VersionSelector): Promise<ModelVersionRecord> {
    const { model, level } = await this.access.require(p, name, 'USE');
    return this.resolveIn(p, { id: model.id, name, level }, selector);
  }

  /**
   * The version of `model` a `models:/` reference names: a number, the latest in a stage, the
   * latest overall, or an alias. A caller holding only USE gets only versions in Production or
   * behind a protected alias (others: 403 if named directly, 404 if looked up).
   */
  async resolveIn(p: Principal, model: ModelGrant, selector: VersionSelector): Promise<ModelVersionRecord> {
    const name = model.name;
    const view = this.access.viewFor(model);
    let key: VersionKey;
    if (selector.version !== undefined) {
      key = { modelId: model.id, version: selector.version };
      if (!(await this.versions.findRow(key))) throw versionNotFound(name, selector.version);
    } else if (selector.alias !== undefined) {
      const alias = await this.models.findAlias(model.id, selector.alias);
      if (!alias) throw notFound(`Registered model alias ${selector.alias} not found.`);
      key = { modelId: model.id, version: alias.version };
    } else if (selector.stage !== undefined) {
      const stage = canonicalStage(selector.stage);
      const [found] = await this.versions.latest([model.id], [stage], view);
      if (!found) throw notFound(`No versions of model with name '${name}' and stage '${stage}' found`);
      return found; // already the full record, and shown by the caller's view
    } else {
      const latest = await this.versions.latestVersion(model.id, view);
      if (latest === null) throw notFound(`No versions of model with name '${name}' found`);
      key = { modelId: model.id, version: latest };
    }
    if ((await this.versions.filterVisible([key], view)).length === 0) {
      throw this.permissions.denied(p, 'registered_model', 'READ', `'${name}' version ${key.version}`);
    }
    const [record] = await this.versions.load([key]);
    if (!record) throw versionNotFound(name, key.version);
    return record;
  }

  /** `latest` (any case) is the highest version, as MLflow answers it (its prompt client asks for `@latest`). */
  async getByAlias(p: Principal, model: ModelGrant, alias: string): Promise<ModelVersionRecord> {
    validateAlias(alias);
    return this.resolveIn(p, model, alias.toLowerCase() === 'latest' ? { latest: true } : { alias });
  }

  async update(p: Principal, name: string, version: number, description: string | undefined): Promise<ModelVersionRecord> {
    const key = await this.writes.transaction(async (tx) => {
      const model = await this.lockModel(name, tx);
      const key = { modelId: model.id, version };
      const row = await this.versions.findRow(key, tx);
      if (!row) throw versionNotFound(name, version);
      const after = description === undefined || description === '' ? null : description;
      await this.versions.update(key, { description: after, nowMs: this.clock.nowMs() }, tx);
      if (row.description !== after) {
        await this.audit.record(p, [event({ model }, { action: 'update_description', version, before: { description: row.description }, after: { description: after } })], tx);
      }
      return key;
    });
    return (await this.versions.load([key]))[0]!;
  }

  /** Soft delete: the number stays taken; aliases pointing at it go (as in MLflow's SQL store). */
  async delete(p: Principal, name: string, version: number): Promise<void> {
    await this.writes.transaction(async (tx) => {
      const model = await this.lockModel(name, tx);
      const key = { modelId: model.id, version };
      const row = await this.versions.findRow(key, tx);
      if (!row) throw versionNotFound(name, version);
      const nowMs = this.clock.nowMs();
      const aliases = await this.models.deleteAliasesOfVersion(model.id, version, tx);
      await this.versions.softDelete(key, nowMs, tx);
      await this.models.touch(model.id, nowMs, tx);
      await this.audit.record(p, [event({ model }, { action: 'delete_model_version', version, before: { stage: row.currentStage, ...(aliases.length > 0 ? { aliases } : {}) } })], tx);
      await this.governance?.closeRequestsOf(p, model, [version], { deleted: true }, tx);
    });
  }

  /**
   * Atomic: the model row is locked first, so concurrent transitions of one model run one after
   * another and `archive_existing_versions` leaves exactly one version in the target stage. The
   * caller holds MANAGE_STAGING (the row's level); the move may need MANAGE_PRODUCTION
   * (levelForTransition), checked once the current stage is read under the lock.
   */
  async transitionStage(p: Principal, grant: ModelGrant, version: number, stageInput: string, archiveExisting: boolean): Promise<ModelVersionRecord> {
    const stage = canonicalStage(stageInput);
    if (archiveExisting) assertArchivable(stage);
    const key = await this.writes.transaction(async (tx) => {
      const model = await this.lockModel(grant.name, tx);
      await this.applyTransition(p, grant, model, version, stage, archiveExisting, tx);
      return { modelId: model.id, version };
    });
    return (await this.versions.load([key]))[0]!;
  }

  /**
   * transitionStage's work, in a transaction that has locked the model row (`model`); approving a
   * transition request (`approved`: its ids) runs the same code, so it gets the same guarantees and
   * audit entries. A direct move is refused where the approval policy asks for a request. The open
   * stage requests of every version that moved are closed.
   */
  async applyTransition(
    p: Principal,
    grant: ModelGrant,
    model: { id: bigint; name: string },
    version: number,
    stage: Stage,
    archiveExisting: boolean,
    tx: Db,
    approved?: { requestIds: string[] },
  ): Promise<{ from: Stage; archived: number[] }> {
    const key = { modelId: model.id, version };
    const row = await this.versions.findRow(key, tx);
    if (!row) throw versionNotFound(grant.name, version);
    const from = row.currentStage as Stage;
    await this.access.check(p, grant, levelForTransition(from, stage));
    if (!approved) await this.governance?.assertDirect(p, model, 'stage', stage, tx);
    const nowMs = this.clock.nowMs();
    const archived = archiveExisting ? await this.versions.archiveOthers(key, stage, nowMs, tx) : [];
    await this.versions.setStage(key, stage, nowMs, tx);
    await this.models.touch(model.id, nowMs, tx);
    const via = approved ? { request_ids: approved.requestIds } : {};
    await this.audit.record(
      p,
      [
        event({ model }, { action: 'transition_stage', version, before: { stage: from }, after: { stage, ...via } }),
        ...archived.map((v) => event({ model }, { action: 'archive_existing_version', version: v, before: { stage }, after: { stage: 'Archived', archived_by_version: String(version) } })),
      ],
      tx,
    );
    // The moved version's open requests and the archived ones', in one read.
    await this.governance?.closeRequestsOfMoves(p, model, new Map<number, string>([[version, stage], ...archived.map((v): [number, string] => [v, 'Archived'])]), tx);
    return { from, archived };
  }

  async searchVersions(p: Principal, input: ModelVersionSearchInput): Promise<{ items: ModelVersionRecord[]; nextPageToken?: string }> {
    // Only models the caller can READ: a USE caller's restricted view cannot be expressed in the
    // shared search SQL yet, and showing nothing is the safe side (get/alias/latest still work).
    const scope = await this.permissions.visibleScope(p, 'registered_model', 'READ');
    const { keys, nextPageToken } = await this.search(input, scope);
    const items = await this.versions.load(keys);
    return nextPageToken ? { items, nextPageToken } : { items };
  }

  /** On a version modelOf() found. */
  /** With its audit event (and so its webhook event) in the same transaction. */
  async setTag(p: Principal, model: ModelGrant, version: number, tag: Tag): Promise<void> {
    validateTag(tag.key, tag.value);
    await this.writes.transaction(async (tx) => {
      await this.versions.setTag({ modelId: model.id, version }, tag, tx);
      await this.audit.record(p, [event({ model }, { action: 'set_model_version_tag', version, after: { key: tag.key, value: tag.value } })], tx);
    });
  }

  async deleteTag(p: Principal, model: ModelGrant, version: number, tagKey: string): Promise<void> {
    await this.writes.transaction(async (tx) => {
      await this.versions.deleteTag({ modelId: model.id, version }, tagKey, tx);
      await this.audit.record(p, [event({ model }, { action: 'delete_model_version_tag', version, before: { key: tagKey } })], tx);
    });
  }

  /**
   * The runs and logged models a new version's files are in (or that it names) stay until the
   * version is committed: the garbage collector locks what it removes, so it either waits and then
   * keeps these files (a live version points at them), or removed them first and this answers 404.
   */
  private async holdOwners(storageLocation: string | null, runId: string | undefined, loggedModelId: string | undefined, tx: Prisma.TransactionClient): Promise<void> {
    const owner = storageLocation === null ? undefined : ownerOfKey(keyOfArtifactUri(storageLocation) ?? '');
    const runs = new Set([runId, owner?.kind === 'run' ? owner.runId : undefined].filter((id): id is string => id !== undefined));
    const loggedModels = new Set([loggedModelId, owner?.kind === 'logged-model' ? owner.modelId : undefined].filter((id): id is string => id !== undefined));
    await this.runs.hold([...runs], tx);
    await this.loggedModels.hold([...loggedModels], tx);
  }

  private async lockModel(name: string, tx: Parameters<RegisteredModelsRepository['lockByName']>[1]) {
    const model = await this.models.lockByName(name, tx);
    if (!model) throw modelNotFound(name);
    return model;
  }

  /**
   * Where a new version's files are, as MLflow's create_model_version resolves them: runs:/ → the run's artifact URI + path
   * (the run must be readable), models:/ → that version's location, mlflow-artifacts:/ → itself
   * once the caller may read what it points into; other URIs are stored as given.
   */
  private async storageLocationOf(p: Principal, modelId: bigint, source: ModelSource): Promise<string | null> {
    switch (source.kind) {
      case 'run': {
        const run = await this.runs.requireRun(p, source.runId, 'READ');
        return source.path === '' ? run.artifactUri : `${run.artifactUri.replace(/\/+$/, '')}/${source.path}`;
      }
      case 'registry': {
        // READ, not just USE: the new version keeps these files whatever stage the source version moves to.
        const { model, level } = await this.access.require(p, source.name, 'READ');
        const v = await this.resolveIn(p, { id: model.id, name: source.name, level }, source.selector);
        return v.storageLocation ?? v.source;
      }
      case 'logged-model':
        return (await this.loggedModels.requireLoggedModel(p, source.modelId, 'READ')).artifactLocation;
      case 'proxied':
        await this.requireReadableKey(p, modelId, source.key);
        return null;
      case 'external':
        return null;
    }
  }

  /**
   * A proxied source must name a key inside one run's or one logged model's artifacts that the
   * caller can READ, or one of this model's own uploads: never the store root, a bare experiment
   * prefix, another model's uploads or anything outside the layout (storage/artifact-layout.ts).
   */
  private async requireReadableKey(p: Principal, modelId: bigint, key: string): Promise<void> {
    const owner = ownerOfKey(key);
    const outside = (why: string) => invalidParameter(`Invalid model version source 'mlflow-artifacts:/${shown(key)}': ${why}.`);
    if (owner === undefined) throw outside(`it must point ${WHERE_VERSIONS_LIVE}`);
    if (owner.kind === 'model-upload') {
      if (owner.registeredModelId !== String(modelId)) throw outside("it names another registered model's uploads");
      return;
    }
    const root =
      owner.kind === 'run' ? (await this.runs.requireRun(p, owner.runId, 'READ')).artifactUri : (await this.loggedModels.requireLoggedModel(p, owner.modelId, 'READ')).artifactLocation;
    const rootKey = keyOfArtifactUri(root);
    if (rootKey === undefined || rootKey === '' || relativeKey(rootKey, key) === undefined) {
      const what = owner.kind === 'run' ? `run ${owner.runId}` : `logged model ${owner.modelId}`;
      throw outside(`${what} keeps its artifacts at ${root}`);
    }
  }
}
