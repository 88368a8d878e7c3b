import { notFound } from '../../errors';
import type { Principal } from '../../http/principal';
import type { VersionView } from '../model-versions/model-versions.repository';
import { atLeast, type Level } from '../permissions/permission-levels';
import type { PermissionsService } from '../permissions/permissions.service';
import type { RegisteredModelRow, RegisteredModelsRepository } from './registered-models.repository';

export interface ModelAccess {
  model: RegisteredModelRow;
  level: Level;
  /** Which of the model's versions this caller sees (all, unless the caller holds exactly USE). */
  view: VersionView;
}

export const modelNotFound = (name: string) => notFound(`Registered Model with name=${name} not found`);

/** Finds a registered model by name and checks the caller's level on it, for both registry services. */
export class RegistryAccess {
  constructor(
    private readonly models: RegisteredModelsRepository,
    private readonly permissions: PermissionsService,
    /** Lower-case names from config (PROTECTED_ALIASES). */
    private readonly protectedAliases: readonly string[],
  ) {}

  /**
   * 404 if the model is absent, 403 if the caller lacks `need`. Reads pass USE: a USE caller then
   * gets a restricted view (Production versions and versions behind protected aliases only).
   */
  async require(p: Principal, name: string, need: Level): Promise<ModelAccess> {
    const model = await this.models.findByName(name);
    if (!model) throw modelNotFound(name);
    return this.authorize(p, model, need);
  }

  /** require() for a model already read: 403 if the caller lacks `need`. */
  async authorize(p: Principal, model: RegisteredModelRow, need: Level): Promise<ModelAccess> {
    const level = await this.permissions.require(p, 'registered_model', String(model.id), need, `'${model.name}'`);
    return { model, level, view: this.viewRestrictedTo(level === 'USE' ? [model.id] : []) };
  }

  /** Checks a further level on a model already found (e.g. once the version's current stage is known). */
  async check(p: Principal, access: ModelAccess, need: Level): Promise<void> {
    if (!atLeast(access.level, need)) {
      await this.permissions.recordDenial(p, 'registered_model', String(access.model.id), need, access.level);
      throw this.permissions.denied(p, 'registered_model', need, `'${access.model.name}'`);
    }
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
