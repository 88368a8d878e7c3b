import type { PrismaClient } from '@prisma/client';
import type { RawDb, SqlExecutor } from '../../db/sql';
import type { Clock } from '../../lib/clock';
import type { AuditService } from '../audit/audit.service';
import type { PermissionsService } from '../permissions/permissions.service';
import type { RunGate } from '../runs/run-gate';
import { type LoggedModelRegistration, ModelVersionsRepository } from './model-versions.repository';
import { ModelVersionsService, type SearchModelVersionKeys } from './model-versions.service';
import { RegisteredModelsRepository } from './registered-models.repository';
import { type ModelCache, RegisteredModelsService, type SearchRegisteredModelIds, uncached } from './registered-models.service';
import { RegistryAccess } from './registry-access';
import { RegistryWrites } from './registry-writes';
import type { LoggedModelGate } from './registry-gates';
import type { ApprovalTarget } from '../../config';
import { CommentsRepository } from './comments.repository';
import { CommentsService } from './comments.service';
import { Governance } from './governance';
import { TransitionRequestsRepository } from './transition-requests.repository';
import { TransitionRequestsService } from './transition-requests.service';

export interface RegistryOptions {
  prisma: PrismaClient;
  sql: SqlExecutor;
  permissions: PermissionsService;
  audit: AuditService;
  clock: Clock;
  runs: RunGate;
  loggedModels: LoggedModelGate;
  /** Lower-case names from config (PROTECTED_ALIASES). */
  protectedAliases: readonly string[];
  searchModels: SearchRegisteredModelIds;
  searchVersions: SearchModelVersionKeys;
  /** Where registered-models/get may find a model it read before; every registry write tells it. */
  modelCache?: ModelCache;
  /** REQUIRE_APPROVAL and APPROVAL_SEPARATION (README "Promotion requests"). */
  approval: { required: readonly ApprovalTarget[]; separation: boolean };
}

/**
 * The registry module: registered models, their versions, tags, aliases and stages. It owns those
 * tables; other modules use its services, or the lookups below, which the container passes to the
 * modules the registry itself depends on (permissions, audit, logged models).
 */
export interface Registry {
  registeredModels: RegisteredModelsService;
  modelVersions: ModelVersionsService;
  /** Promotion requests (stages, protected aliases) and approval policies. */
  transitionRequests: TransitionRequestsService;
  /** Comments on model versions and their activity feed. */
  comments: CommentsService;
  /** A registered model's id and current name by its name, or null; no permission check. */
  findModel(name: string): Promise<{ id: bigint; name: string } | null>;
  /** The live versions registered from these logged models, by model name, then version; no permission check. */
  registrationsOfLoggedModels(loggedModelIds: string[]): Promise<LoggedModelRegistration[]>;
  /** Current names of the registered models that exist among `ids`; no permission check. */
  modelNames(ids: bigint[]): Promise<Map<bigint, string>>;
  /** Whether the registered model is a prompt, read in `db` (the webhooks' outbox, inside a change's transaction). */
  isPrompt(modelId: bigint, db: RawDb): Promise<boolean>;
}

export function createRegistry(o: RegistryOptions): Registry {
  const models = new RegisteredModelsRepository(o.prisma, o.sql);
  const versions = new ModelVersionsRepository(o.prisma, o.sql);
  const access = new RegistryAccess(models, o.permissions, o.protectedAliases);
  const cache = o.modelCache ?? uncached;
  const writes = new RegistryWrites(models, cache);
  const shared = { models, versions, access, writes, permissions: o.permissions, audit: o.audit, clock: o.clock };
  const requests = new TransitionRequestsRepository(o.prisma);
  const isProtectedAlias = (alias: string) => o.permissions.isProtectedAlias(alias);
  const governance = new Governance(requests, o.audit, o.clock, o.approval.required, isProtectedAlias);
  const registeredModels = new RegisteredModelsService({ ...shared, search: o.searchModels, cache, governance });
  const modelVersions = new ModelVersionsService({ ...shared, runs: o.runs, loggedModels: o.loggedModels, search: o.searchVersions, governance });
  return {
    registeredModels,
    modelVersions,
    transitionRequests: new TransitionRequestsService({
      ...shared,
      repo: requests,
      governance,
      modelVersions,
      registeredModels,
      isProtectedAlias,
      separation: o.approval.separation,
    }),
    comments: new CommentsService({ repo: new CommentsRepository(o.prisma), models, versions, access, audit: o.audit, clock: o.clock }),
    findModel: async (name) => {
      const model = await models.findByName(name);
      return model ? { id: model.id, name: model.name } : null;
    },
    registrationsOfLoggedModels: (ids) => versions.registrationsOfLoggedModels(ids),
    modelNames: (ids) => models.namesByIds(ids),
    isPrompt: (modelId, db) => models.isPrompt(modelId, db),
  };
}
