import { notFound } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Call, Finder, Found } from '../../http/route-table';
import type { VersionView } from './model-versions.repository';
import { atLeast, type Level } from '../permissions/permission-levels';
import type { PermissionsService } from '../permissions/permissions.service';
import type { RegisteredModelRow, RegisteredModelsRepository } from './registered-models.repository';

export interface ModelAccess {
  model: RegisteredModelRow;
  level: Level;
  /** Which of the model's versions this caller sees (all, unless the caller holds exactly USE). */
  view: VersionView;
}

/** A registered model the route table found, and the caller's level on it (the row's `granted`). */
export interface ModelGrant {
  id: bigint;
  name: string;
  level: Level;
}

/** The `granted` of a registered-model row, for the services; `name` is the name the request gave. */
export function modelGrant(granted: Call<unknown>['granted'], name: string): ModelGrant {
  if (!granted) throw new Error('A registered-model row answered without its resource');
  return { id: BigInt(granted.id), name, level: granted.level };
}

export const modelNotFound = (name: string) => notFound(`Registered Model with name=${name} not found`);

export const versionNotFound = (name: string, version: number | string) => notFound(`Model Version (name=${name}, version=${version}) not found`);

/** Finds registered models by name for both registry services, and checks levels on them. */
export class RegistryAccess {
  constructor(
    private readonly models: RegisteredModelsRepository,
    private readonly permissions: PermissionsService,
    /** Lower-case names from config (PROTECTED_ALIASES). */
    private readonly protectedAliases: readonly string[],
  ) {}

  /**
   * The route table's finder of a model by name: 404 if absent, no permission check. The caller's
   * grants on it are read in the same statement, for the step's check.
   */
  byName<I>(nameOf: (input: I) => string, via = 'the registered model name'): Finder<I> {
    return {
      via,
      find: async (input, p) => {
        const { model, grants } = await this.findWithGrants(p, nameOf(input));
        return this.found(model, grants);
      },
    };
  }

  /** 404 if the model is absent; the levels of `p`'s grants on it read in the same statement (none for an admin). */
  async findWithGrants(p: Principal, name: string): Promise<{ model: RegisteredModelRow; grants?: Level[] }> {
    const read = await this.models.findByName<Level[]>(name, this.permissions.grantsColumn(p, 'registered_model'));
    if (!read) throw modelNotFound(name);
    const { extra: grants, ...model } = read;
    return { model, grants };
  }

  /** A model as the authorization step names it, with the caller's grant levels on it when they were read along. */
  found(model: { id: bigint; name: string }, grants?: readonly Level[]): Found {
    return { type: 'registered_model', id: String(model.id), what: `'${model.name}'`, ...(grants ? { grants } : {}) };
  }

  /**
   * For callers outside the route table (a version's `models:/` source): 404 if the model is
   * absent, 403 if the caller lacks `need`.
   */
  async require(p: Principal, name: string, need: Level): Promise<ModelAccess> {
    const { model, grants } = await this.findWithGrants(p, name);
    const level = await this.permissions.require(p, 'registered_model', String(model.id), need, `'${model.name}'`, grants);
    return { model, level, view: this.viewFor({ id: model.id, level }) };
  }

  /** Checks a further level on a model already granted (e.g. once the version's current stage is known). */
  async check(p: Principal, grant: ModelGrant, need: Level): Promise<void> {
    if (!atLeast(grant.level, need)) {
      await this.permissions.recordDenial(p, 'registered_model', String(grant.id), need, grant.level);
      throw this.permissions.denied(p, 'registered_model', need, `'${grant.name}'`);
    }
  }

  /** The versions a caller with this level sees: a USE caller only Production and protected-alias versions. */
  viewFor(grant: { id: bigint; level: Level }): VersionView {
    return this.viewRestrictedTo(grant.level === 'USE' ? [grant.id] : []);
  }

  /** A view that restricts the given models (those where the caller holds exactly USE). */
  viewRestrictedTo(restrictedModelIds: readonly bigint[]): VersionView {
    return { restrictedModelIds, protectedAliases: this.protectedAliases };
  }

  /** Protected aliases (such as production, champion) need MANAGE_PRODUCTION; others MANAGE_STAGING. */
  levelForAlias(alias: string): Level {
    return this.permissions.isProtectedAlias(alias) ? 'MANAGE_PRODUCTION' : 'MANAGE_STAGING';
  }
}
