import { invalidParameter, notFound } from '../../errors';
import { shown } from '../../lib/shown';
import { ownerOfKey, WHERE_VERSIONS_LIVE } from '../../storage/artifact-layout';
import { keyOfArtifactUri, relativeKey } from '../../storage/artifact-key';
import type { Principal } from '../../http/principal';
import type { Clock } from '../../lib/clock';
import type { AuditEvent, AuditService } from '../audit/audit.service';
import type { PermissionsService, VisibleScope } from '../permissions/permissions.service';
import type { RegisteredModelsRepository, Tag } from '../registered-models/registered-models.repository';
import { versionNotFound } from '../registered-models/registered-models.service';
import { type ModelAccess, modelNotFound, type RegistryAccess } from '../registered-models/registry-access';
import { validateAlias, validateTag } from '../registered-models/registry-validation';
import { isPromptRequest } from '../../lib/prompts';
import { type ModelSource, parseModelSource, type VersionSelector } from './model-source';
import type { ModelVersionRecord, ModelVersionsRepository, VersionKey } from './model-versions.repository';
import type { LoggedModelGate, RunGate } from './registry-gates';
import { assertArchivable, canonicalStage, levelForTransition, type Stage } from './stages';

export interface ModelVersionSearchInput {
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
}

/** src/search's searchModelVersionKeys, bound to the database by the container. */
export type SearchModelVersionKeys = (
  input: ModelVersionSearchInput,
  scope: VisibleScope,
) => Promise<{ keys: VersionKey[]; nextPageToken?: string }>;

export interface CreateModelVersionInput {
  name: string;
  source: string;
  runId?: string;
  runLink?: string;
  description?: string;
  loggedModelId?: string;
  tags: Tag[];
}

export type { VersionSelector };

const event = (a: ModelAccess | { model: { id: bigint; name: string } }, e: Omit<AuditEvent, 'resourceType' | 'modelId' | 'modelName'>): AuditEvent => ({
  resourceType: 'registered_model',
  modelId: a.model.id,
  modelName: a.model.name,
  ...e,
});

/**
 * Model versions (mlflow-api.md §1.6): numbers allocated atomically and never reused, soft
 * delete, stage transitions serialised on the model row, and the resolver serving uses.
 */
export class ModelVersionsService {
  constructor(
    private readonly versions: ModelVersionsRepository,
    private readonly models: RegisteredModelsRepository,
    private readonly access: RegistryAccess,
    private readonly permissions: PermissionsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly runs: RunGate,
    private readonly loggedModels: LoggedModelGate,
    private readonly search: SearchModelVersionKeys,
  ) {}

  async create(p: Principal, input: CreateModelVersionInput): Promise<ModelVersionRecord> {
    for (const t of input.tags) validateTag(t.key, t.value);
    const access = await this.access.require(p, input.name, 'EDIT');
    const source = parseModelSource(input.source, { prompt: isPromptRequest(input.tags) });
    const storageLocation = await this.storageLocationOf(p, access.model.id, source);
    if (input.runId !== undefined) await this.runs.requireRun(p, input.runId, 'READ');
    // MLflow 3 registers logged models as models:/m-…; the version then carries that model_id.
    const loggedModelId = input.loggedModelId ?? (source.kind === 'logged-model' ? source.modelId : undefined);
    if (input.loggedModelId !== undefined) await this.loggedModels.requireLoggedModel(p, input.loggedModelId, 'READ');
    const key = await this.models.transaction(async (tx) => {
      const nowMs = this.clock.nowMs();
      const version = await this.models.allocateVersion(access.model.id, nowMs, tx);
      // The model was deleted since it was looked up: throwing rolls the transaction back.
      if (version === null) throw modelNotFound(input.name);
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
      await this.audit.record(p, [event(access, { action: 'create_model_version', version, after: { stage: 'None', source: input.source } })], tx);
      return { modelId: access.model.id, version };
    });
    // Gone if the model (or the version) was deleted once the transaction committed.
    const [record] = await this.versions.load([key]);
    if (!record) throw versionNotFound(input.name, key.version);
    return record;
  }

  async get(p: Principal, name: string, version: number): Promise<ModelVersionRecord> {
    return this.resolve(p, name, { version });
  }

  /** Where the version's files are: the resolved storage location, else the source. */
  async getDownloadUri(p: Principal, name: string, version: number): Promise<string> {
    const v = await this.resolve(p, name, { version });
    return v.storageLocation ?? v.source;
  }

  /**
   * The version a `models:/` reference names: a number, the latest in a stage, the latest
   * overall, or an alias. Needs USE on the model; a USE caller only gets versions in
   * Production or behind a protected alias (others: 403 if named directly, 404 if looked up).
   */
  async resolve(p: Principal, name: string, selector: VersionSelector): Promise<ModelVersionRecord> {
    const { model, view } = await this.access.require(p, name, 'USE');
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
  async getByAlias(p: Principal, name: string, alias: string): Promise<ModelVersionRecord> {
    validateAlias(alias);
    return this.resolve(p, name, alias.toLowerCase() === 'latest' ? { latest: true } : { alias });
  }

  async update(p: Principal, name: string, version: number, description: string | undefined): Promise<ModelVersionRecord> {
    await this.access.require(p, name, 'EDIT');
    const key = await this.models.transaction(async (tx) => {
      const model = await this.lockModel(name, tx);
      const key = { modelId: model.id, version };
      const row = await this.versions.findRow(key, tx);
      if (!row) throw versionNotFound(name, version);
      const after = description === undefined || description === '' ? null : description;
      await this.versions.update(key, { description: after, nowMs: this.clock.nowMs() }, tx);
      if (row.description !== after) {
        await this.audit.record(
          p,
          [event({ model }, { action: 'update_description', version, before: { description: row.description }, after: { description: after } })],
          tx,
        );
      }
      return key;
    });
    return (await this.versions.load([key]))[0]!;
  }

  /** Soft delete: the number stays taken; aliases pointing at it go (mlflow-api.md §1.6). */
  async delete(p: Principal, name: string, version: number): Promise<void> {
    await this.access.require(p, name, 'MANAGE');
    await this.models.transaction(async (tx) => {
      const model = await this.lockModel(name, tx);
      const key = { modelId: model.id, version };
      const row = await this.versions.findRow(key, tx);
      if (!row) throw versionNotFound(name, version);
      const nowMs = this.clock.nowMs();
      const aliases = await this.models.deleteAliasesOfVersion(model.id, version, tx);
      await this.versions.softDelete(key, nowMs, tx);
      await this.models.touch(model.id, nowMs, tx);
      await this.audit.record(
        p,
        [event({ model }, { action: 'delete_model_version', version, before: { stage: row.currentStage, ...(aliases.length > 0 ? { aliases } : {}) } })],
        tx,
      );
    });
  }

  /**
   * Atomic: the model row is locked first, so concurrent transitions of one model run one after
   * another and `archive_existing_versions` leaves exactly one version in the target stage.
   */
  async transitionStage(p: Principal, name: string, version: number, stageInput: string, archiveExisting: boolean): Promise<ModelVersionRecord> {
    const stage = canonicalStage(stageInput);
    if (archiveExisting) assertArchivable(stage);
    const access = await this.access.require(p, name, 'MANAGE_STAGING');
    const key = await this.models.transaction(async (tx) => {
      const model = await this.lockModel(name, tx);
      const key = { modelId: model.id, version };
      const row = await this.versions.findRow(key, tx);
      if (!row) throw versionNotFound(name, version);
      const from = row.currentStage as Stage;
      await this.access.check(p, access, levelForTransition(from, stage));
      const nowMs = this.clock.nowMs();
      const archived = archiveExisting ? await this.versions.archiveOthers(key, stage, nowMs, tx) : [];
      await this.versions.setStage(key, stage, nowMs, tx);
      await this.models.touch(model.id, nowMs, tx);
      await this.audit.record(
        p,
        [
          event({ model }, { action: 'transition_stage', version, before: { stage: from }, after: { stage } }),
          ...archived.map((v) =>
            event({ model }, { action: 'archive_existing_version', version: v, before: { stage }, after: { stage: 'Archived', archived_by_version: String(version) } }),
          ),
        ],
        tx,
      );
      return key;
    });
    return (await this.versions.load([key]))[0]!;
  }

  async searchVersions(p: Principal, input: ModelVersionSearchInput): Promise<{ items: ModelVersionRecord[]; nextPageToken?: string }> {
    // Only models the caller can READ: a USE caller's restricted view cannot be expressed in the
    // shared search SQL yet, and showing nothing is the safe side (get/alias/latest still work).
    const scope = await this.permissions.visibleScope(p, 'registered_model', 'READ');
    const { keys, nextPageToken } = await this.search(input, scope);
    const items = await this.versions.load(keys);
    return nextPageToken ? { items, nextPageToken } : { items };
  }

  async setTag(p: Principal, name: string, version: number, tag: Tag): Promise<void> {
    validateTag(tag.key, tag.value);
    const key = await this.requireVersion(p, name, version);
    await this.versions.setTag(key, tag);
  }

  async deleteTag(p: Principal, name: string, version: number, tagKey: string): Promise<void> {
    const key = await this.requireVersion(p, name, version);
    await this.versions.deleteTag(key, tagKey);
  }

  private async requireVersion(p: Principal, name: string, version: number): Promise<VersionKey> {
    const { model } = await this.access.require(p, name, 'EDIT');
    const key = { modelId: model.id, version };
    if (!(await this.versions.findRow(key))) throw versionNotFound(name, version);
    return key;
  }

  private async lockModel(name: string, tx: Parameters<RegisteredModelsRepository['lockByName']>[1]) {
    const model = await this.models.lockByName(name, tx);
    if (!model) throw modelNotFound(name);
    return model;
  }

  /**
   * Where a new version's files are (mlflow-api.md §5): runs:/ → the run's artifact URI + path
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
        await this.access.require(p, source.name, 'READ');
        const v = await this.resolve(p, source.name, source.selector);
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
      owner.kind === 'run'
        ? (await this.runs.requireRun(p, owner.runId, 'READ')).artifactUri
        : (await this.loggedModels.requireLoggedModel(p, owner.modelId, 'READ')).artifactLocation;
    const rootKey = keyOfArtifactUri(root);
    if (rootKey === undefined || rootKey === '' || relativeKey(rootKey, key) === undefined) {
      const what = owner.kind === 'run' ? `run ${owner.runId}` : `logged model ${owner.modelId}`;
      throw outside(`${what} keeps its artifacts at ${root}`);
    }
  }
}
