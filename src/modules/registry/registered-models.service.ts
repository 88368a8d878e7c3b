import type { Principal } from '../../http/principal';
import type { Finder } from '../../http/route-table';
import type { Clock } from '../../lib/clock';
import type { AuditService } from '../audit/audit.service';
import type { ModelVersionRecord, ModelVersionsRepository, VersionView } from './model-versions.repository';
import { canonicalStage, type Stage, STAGES } from './stages';
import type { PermissionsService, VisibleScope } from '../permissions/permissions.service';
import type { RegisteredModelRecord } from './registered-models.mapper';
import type { ModelDetails, RegisteredModelRow, RegisteredModelsRepository } from './registered-models.repository';
import type { Level } from '../permissions/permission-levels';
import { type ModelGrant, modelNotFound, type RegistryAccess, versionNotFound } from './registry-access';
import type { RegistryWrites, WriteListener } from './registry-writes';
import type { Tag } from './registry-records';
import { validateAlias, validateModelName, validateNewAlias, validateTag } from './registry-validation';
import type { Governance } from './governance';
import type { Db } from './registry-records';

export interface RegisteredModelSearchInput {
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
}

/** src/search's searchRegisteredModelIds, bound to the database by the container. */
export type SearchRegisteredModelIds = (input: RegisteredModelSearchInput, scope: VisibleScope) => Promise<{ ids: bigint[]; nextPageToken?: string }>;

/** A registered model as registered-models/get reads it: the row and what all but USE callers see. */
export type FoundModel = { row: RegisteredModelRow; details: ModelDetails };

/**
 * Where registered-models/get may find a model it read before (InvalidatedCache in the container);
 * every registry write tells it (RegistryWrites).
 */
export interface ModelCache extends WriteListener {
  read(name: string, load: () => Promise<FoundModel | null>): Promise<FoundModel | null>;
}

export const uncached: ModelCache = { read: (_name, load) => load(), beginWrite: () => () => undefined };

export interface RegisteredModelsServiceOptions {
  models: RegisteredModelsRepository;
  versions: ModelVersionsRepository;
  access: RegistryAccess;
  writes: RegistryWrites;
  permissions: PermissionsService;
  audit: AuditService;
  clock: Clock;
  search: SearchRegisteredModelIds;
  /** Without one, every registered-models/get reads the database. */
  cache?: ModelCache;
  /** Approval policy for protected aliases and the closing of open alias requests (README "Promotion requests"). */
  governance?: Governance;
}

const inScope = (scope: VisibleScope, id: string) => (scope.kind === 'all' ? true : scope.kind === 'except' ? !scope.ids.includes(id) : scope.ids.includes(id));

/**
 * Registered models (MLflow's REST API § Model Registry): names unique, rename keeps the numeric id (and so
 * versions, aliases, grants, audit trail), delete is hard and cascades.
 */
export class RegisteredModelsService {
  private readonly models: RegisteredModelsRepository;
  private readonly versions: ModelVersionsRepository;
  private readonly access: RegistryAccess;
  private readonly writes: RegistryWrites;
  private readonly permissions: PermissionsService;
  private readonly audit: AuditService;
  private readonly clock: Clock;
  private readonly search: SearchRegisteredModelIds;
  private readonly cache: ModelCache;
  private readonly governance: Governance | undefined;

  constructor(options: RegisteredModelsServiceOptions) {
    this.models = options.models;
    this.versions = options.versions;
    this.access = options.access;
    this.writes = options.writes;
    this.permissions = options.permissions;
    this.audit = options.audit;
    this.clock = options.clock;
    this.search = options.search;
    this.cache = options.cache ?? uncached;
    this.governance = options.governance;
  }

  /** The route table's finder of a registered model by name: 404 if absent. */
  readonly byName = <I>(nameOf: (input: I) => string, via?: string): Finder<I> => this.access.byName(nameOf, via);

  /**
   * registered-models/get's finder: the model through the cache (a cached model costs no query), kept
   * for get() to show, so a request reads the model once.
   */
  readonly forGet: Finder<{ name: string }> = {
    via: 'name (through the registered-model cache)',
    find: async (input, p) => {
      // A model read from the database brings the caller's grants on it along (one statement);
      // the cache keeps the model only, so a cached model's check reads the grants afresh.
      let grants: Level[] | undefined;
      const found = await this.cache.read(input.name, async () => {
        const read = await this.models.findByNameWithDetails<Level[]>(input.name, this.permissions.grantsColumn(p, 'registered_model'));
        if (!read) return null;
        grants = read.extra;
        return { row: read.row, details: read.details };
      });
      if (!found) throw modelNotFound(input.name);
      return { ...this.access.found(found.row, grants), loaded: found };
    },
  };

  async create(p: Principal, input: { name: string; description?: string; tags: Tag[] }): Promise<RegisteredModelRecord> {
    validateModelName(input.name);
    for (const t of input.tags) validateTag(t.key, t.value);
    const row = await this.writes.transaction(async (tx) => {
      const m = await this.models.insert({ ...input, userId: p.subject, nowMs: this.clock.nowMs() }, tx);
      await this.audit.record(
        p,
        [
          {
            action: 'create_registered_model',
            resourceType: 'registered_model',
            modelId: m.id,
            modelName: m.name,
            after: { name: m.name },
            payload: { tags: input.tags, description: input.description ?? null },
          },
        ],
        tx,
      );
      return m;
    });
    await this.permissions.grantCreator(p, 'registered_model', String(row.id));
    return this.record(row, []);
  }

  /**
   * The model forGet found (`loaded`; read again without it), as a caller with `level` sees it:
   * what all but USE callers see is what was read; a USE caller's view is read again. The
   * permission check is never cached: only the model as read is.
   */
  async get(input: { name: string }, level: Level, loaded?: FoundModel): Promise<RegisteredModelRecord> {
    const found = loaded ?? (await this.models.findByNameWithDetails(input.name));
    if (!found) throw modelNotFound(input.name);
    const model = found.row;
    const view = this.access.viewFor({ id: model.id, level });
    if (view.restrictedModelIds.length > 0) return this.record(model, view.restrictedModelIds);
    return (await this.assemble([model], new Map([[model.id, found.details]]), view))[0]!;
  }

  async rename(p: Principal, name: string, newName: string): Promise<RegisteredModelRecord> {
    validateModelName(newName);
    const row = await this.writes.transaction(async (tx) => {
      const locked = await this.models.lockByName(name, tx);
      if (!locked) throw modelNotFound(name);
      const renamed = await this.models.rename(locked.id, newName, this.clock.nowMs(), tx);
      await this.audit.record(
        p,
        [{ action: 'rename_registered_model', resourceType: 'registered_model', modelId: locked.id, modelName: newName, before: { name }, after: { name: newName } }],
        tx,
      );
      return renamed;
    });
    return this.record(row, []);
  }

  /** Sets the description (unset clears it, as MLflow does) and bumps last_updated_timestamp. */
  async update(p: Principal, name: string, description: string | undefined): Promise<RegisteredModelRecord> {
    const row = await this.writes.rawTransaction(async (tx) => {
      const locked = await this.models.lockByName(name, tx);
      if (!locked) throw modelNotFound(name);
      const after = description === undefined || description === '' ? null : description;
      const updated = await this.models.update(locked.id, { description: after, nowMs: this.clock.nowMs() }, tx);
      if (locked.description !== after) {
        await this.audit.record(
          p,
          [
            {
              action: 'update_description',
              resourceType: 'registered_model',
              modelId: locked.id,
              modelName: name,
              before: { description: locked.description },
              after: { description: after },
            },
          ],
          tx,
        );
      }
      return updated;
    });
    return this.record(row, []);
  }

  async delete(p: Principal, name: string): Promise<void> {
    const id = await this.writes.transaction(async (tx) => {
      const locked = await this.models.lockByName(name, tx);
      if (!locked) throw modelNotFound(name);
      await this.models.delete(locked.id, tx);
      await this.audit.record(p, [{ action: 'delete_registered_model', resourceType: 'registered_model', modelId: locked.id, modelName: name, before: { name } }], tx);
      return locked.id;
    });
    await this.permissions.forgetResource('registered_model', String(id));
  }

  async searchModels(p: Principal, input: RegisteredModelSearchInput): Promise<{ items: RegisteredModelRecord[]; nextPageToken?: string }> {
    const [visible, readable] = await Promise.all([this.permissions.visibleScope(p, 'registered_model', 'USE'), this.permissions.visibleScope(p, 'registered_model', 'READ')]);
    const { ids, nextPageToken } = await this.search(input, visible);
    const rows = await this.models.findByIds(ids);
    const restricted = rows.filter((r) => !inScope(readable, String(r.id))).map((r) => r.id);
    const items = await this.records(rows, restricted);
    return nextPageToken ? { items, nextPageToken } : { items };
  }

  /** Per requested stage (all four if none), the highest version number in that stage the caller sees. */
  async getLatestVersions(model: ModelGrant, stages: string[]): Promise<ModelVersionRecord[]> {
    const wanted: Stage[] = stages.length > 0 ? [...new Set(stages.map(canonicalStage))] : [...STAGES];
    const latest = await this.versions.latest([model.id], wanted, this.access.viewFor(model));
    return latest.sort((a, b) => wanted.indexOf(a.currentStage) - wanted.indexOf(b.currentStage));
  }

  /** With its audit event (a prompt's: its webhook event) in the same transaction. */
  async setTag(p: Principal, model: ModelGrant, tag: Tag): Promise<void> {
    validateTag(tag.key, tag.value);
    await this.writes.transaction(async (tx) => {
      await this.models.setTag(model.id, tag, tx);
      await this.audit.record(
        p,
        [{ action: 'set_registered_model_tag', resourceType: 'registered_model', modelId: model.id, modelName: model.name, after: { key: tag.key, value: tag.value } }],
        tx,
      );
    });
  }

  /** No-op if the tag is absent. */
  async deleteTag(p: Principal, model: ModelGrant, key: string): Promise<void> {
    await this.writes.transaction(async (tx) => {
      await this.models.deleteTag(model.id, key, tx);
      await this.audit.record(p, [{ action: 'delete_registered_model_tag', resourceType: 'registered_model', modelId: model.id, modelName: model.name, before: { key } }], tx);
    });
  }

  /**
   * Creates or moves an alias. The caller holds MANAGE_STAGING (the row's level); a protected alias
   * needs MANAGE_PRODUCTION.
   */
  async setAlias(p: Principal, model: ModelGrant, alias: string, version: number): Promise<void> {
    validateNewAlias(alias);
    await this.access.check(p, model, this.access.levelForAlias(alias));
    const name = model.name;
    await this.writes.transaction(async (tx) => {
      const locked = await this.models.lockByName(name, tx);
      if (!locked) throw modelNotFound(name);
      await this.governance?.assertDirect(p, { id: locked.id, name }, 'alias', alias, tx);
      await this.setAliasIn(p, { id: locked.id, name }, alias, version, tx);
    });
  }

  /**
   * setAlias's work in a transaction that has locked the model row; approving an alias request
   * (`approved`: its ids) runs the same code. Open requests for this alias and version close.
   */
  async setAliasIn(p: Principal, locked: { id: bigint; name: string }, alias: string, version: number, tx: Db, approved?: { requestIds: string[] }): Promise<void> {
    const name = locked.name;
    if (!(await this.versions.findRow({ modelId: locked.id, version }, tx))) throw versionNotFound(name, version);
    const previous = await this.models.findAlias(locked.id, alias, tx);
    if (previous?.version === version) return;
    await this.models.upsertAlias({ modelId: locked.id, alias, version }, tx);
    await this.audit.record(
      p,
      [
        {
          action: 'set_alias',
          resourceType: 'registered_model',
          modelId: locked.id,
          modelName: name,
          version,
          ...(previous ? { before: { alias, version: String(previous.version) } } : {}),
          after: { alias, version: String(version), ...(approved ? { request_ids: approved.requestIds } : {}) },
        },
      ],
      tx,
    );
    await this.governance?.closeAliasRequests(p, locked, alias, version, tx);
  }

  /** No-op if the alias is absent; a protected alias needs MANAGE_PRODUCTION, as in setAlias. */
  async deleteAlias(p: Principal, model: ModelGrant, alias: string): Promise<void> {
    validateAlias(alias);
    await this.access.check(p, model, this.access.levelForAlias(alias));
    const name = model.name;
    await this.writes.transaction(async (tx) => {
      const locked = await this.models.lockByName(name, tx);
      if (!locked) throw modelNotFound(name);
      const previous = await this.models.findAlias(locked.id, alias, tx);
      if (!previous) return;
      await this.models.deleteAlias(locked.id, alias, tx);
      await this.audit.record(
        p,
        [{ action: 'delete_alias', resourceType: 'registered_model', modelId: locked.id, modelName: name, version: previous.version, before: { alias, version: String(previous.version) } }],
        tx,
      );
    });
  }

  private record(row: RegisteredModelRow, restrictedIds: readonly bigint[]): Promise<RegisteredModelRecord> {
    return this.records([row], restrictedIds).then((r) => r[0]!);
  }

  /** Rows → full records (tags, aliases, latest versions) in one query (two for a USE caller). */
  private async records(rows: RegisteredModelRow[], restrictedIds: readonly bigint[]): Promise<RegisteredModelRecord[]> {
    const ids = rows.map((r) => r.id);
    const view: VersionView = this.access.viewRestrictedTo(restrictedIds);
    return this.assemble(rows, await this.models.details(ids, view), view);
  }

  /** Rows and their details → records; for a USE caller, only the aliases of versions they may see. */
  private async assemble(rows: RegisteredModelRow[], details: Map<bigint, ModelDetails>, view: VersionView): Promise<RegisteredModelRecord[]> {
    const aliases = rows.flatMap((r) => details.get(r.id)?.aliases ?? []);
    const visibleAliases = view.restrictedModelIds.length === 0 ? aliases : await this.versions.filterVisible(aliases, view);
    const byStage = (a: ModelVersionRecord, b: ModelVersionRecord) => STAGES.indexOf(a.currentStage) - STAGES.indexOf(b.currentStage);
    return rows.map((r) => ({
      ...r,
      tags: details.get(r.id)?.tags ?? [],
      aliases: visibleAliases.filter((a) => a.modelId === r.id),
      latestVersions: [...(details.get(r.id)?.latest ?? [])].sort(byStage),
    }));
  }
}
