import { type ApprovalTarget, APPROVAL_TARGETS, parseApprovalTargets } from '../../config';
import { alreadyExists, invalidParameter, notFound, RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Clock } from '../../lib/clock';
import type { AuditService } from '../audit/audit.service';
import { atLeast, type Level } from '../permissions/permission-levels';
import { type Governance, REQUEST_ACTIONS, requestEvent, requestPayload } from './governance';
import type { ModelVersionsRepository } from './model-versions.repository';
import type { ModelVersionsService } from './model-versions.service';
import type { RegisteredModelsRepository } from './registered-models.repository';
import type { RegisteredModelsService } from './registered-models.service';
import { type ModelGrant, modelNotFound, type RegistryAccess, versionNotFound } from './registry-access';
import type { Db } from './registry-records';
import type { RegistryWrites } from './registry-writes';
import { validateNewAlias } from './registry-validation';
import { assertArchivable, canonicalStage, levelForTransition, type Stage } from './stages';
import type { RequestKind, RequestStatus, TransitionRequestRow, TransitionRequestsRepository } from './transition-requests.repository';

export interface TransitionRequestsServiceOptions {
  repo: TransitionRequestsRepository;
  models: RegisteredModelsRepository;
  versions: ModelVersionsRepository;
  access: RegistryAccess;
  writes: RegistryWrites;
  audit: AuditService;
  clock: Clock;
  governance: Governance;
  modelVersions: ModelVersionsService;
  registeredModels: RegisteredModelsService;
  isProtectedAlias(alias: string): boolean;
  /** APPROVAL_SEPARATION: whoever filed a request cannot approve it. */
  separation: boolean;
}

/** A request as shown to one viewer: with the actions that viewer may take on it. */
export interface ShownRequest {
  row: TransitionRequestRow;
  /** The stage the version is in now. */
  fromStage: Stage;
  actions: string[];
}

/** What happened to requests (approve, reject, withdraw), as the Activity answered for it. */
export interface RequestOutcome {
  kind: RequestKind;
  status: Exclude<RequestStatus, 'OPEN' | 'CLOSED'>;
  userId: string;
  target: string;
  version: number;
  fromStage: Stage;
  comment: string | null;
  atMs: number;
}

export interface ApprovalPolicyView {
  own: ApprovalTarget[];
  serverDefault: readonly ApprovalTarget[];
  effective: ApprovalTarget[];
}

const STATUS_ACTION = { APPROVED: 'approve', REJECTED: 'reject', WITHDRAWN: 'withdraw' } as const;

/**
 * Promotion requests (README "Promotion requests"): Databricks' transition requests
 * (mlflow-api.md §6.4 in the project notes; docs.databricks.com/api/model-registry/v1/transition-request)
 * and requests to point a protected alias at a version. Every change locks the model row first, so
 * the one-open-request rule, approvals and direct moves of one model run one after another; an
 * approval runs the direct write's own code (ModelVersionsService.applyTransition,
 * RegisteredModelsService.setAliasIn) in the same transaction.
 */
export class TransitionRequestsService {
  private readonly o: TransitionRequestsServiceOptions;

  constructor(options: TransitionRequestsServiceOptions) {
    this.o = options;
  }

  /** A request to move version `version` to `stage` (the caller holds READ). */
  async create(p: Principal, grant: ModelGrant, kind: RequestKind, version: number, targetInput: string, comment: string | undefined): Promise<ShownRequest> {
    const target = this.targetOf(kind, targetInput);
    return this.inModel(grant, async (model, tx) => {
      const row = await this.versionRow(grant, model.id, version, tx);
      if (kind === 'stage' && row.currentStage === target) throw invalidParameter(`Model version ${version} of '${grant.name}' is already in stage ${target}.`);
      if (kind === 'alias' && (await this.o.models.findAlias(model.id, target, tx))?.version === version) {
        throw invalidParameter(`Alias '${target}' of '${grant.name}' already points at version ${version}.`);
      }
      const t = { modelId: model.id, version, kind, target };
      if ((await this.o.repo.findOpen(t, p.subject, tx)).length > 0) {
        const what =
          kind === 'stage' ? `Transition request (name=${grant.name}, version=${version}, stage=${target}` : `Alias request (name=${grant.name}, version=${version}, alias=${target}`;
        throw alreadyExists(`${what}, creator=${p.subject}) already exists.`);
      }
      const created = await this.o.repo.insert({ ...t, userId: p.subject, comment: comment ?? null, nowMs: this.o.clock.nowMs() }, tx);
      const fromStage = row.currentStage as Stage;
      await this.o.audit.record(p, [requestEvent(model, created, REQUEST_ACTIONS[kind].create, requestPayload(created, { status: 'OPEN', from_stage: fromStage }))], tx);
      return { row: created, fromStage, actions: this.actionsFor(p, grant.level, created, fromStage) };
    });
  }

  /**
   * Approves every open request for (version, target): applies the move as the direct write does
   * and closes them. With APPROVAL_SEPARATION, at least one must have been filed by someone else.
   */
  async approve(p: Principal, grant: ModelGrant, kind: RequestKind, version: number, targetInput: string, comment: string | undefined, archiveExisting = false): Promise<RequestOutcome> {
    const target = this.targetOf(kind, targetInput);
    if (kind === 'stage' && archiveExisting) assertArchivable(target as Stage);
    return this.inModel(grant, async (model, tx) => {
      const row = await this.versionRow(grant, model.id, version, tx);
      const fromStage = row.currentStage as Stage;
      if (kind === 'stage') await this.o.access.check(p, grant, levelForTransition(fromStage, target as Stage));
      const open = await this.openFor(grant, model.id, kind, version, target, undefined, tx);
      if (this.o.separation && open.every((r) => r.userId === p.subject)) {
        throw new RegistryError(
          'PERMISSION_DENIED',
          `Permission denied: user '${p.subject}' filed this request and cannot approve it (APPROVAL_SEPARATION, four-eyes); another approver must.`,
        );
      }
      const outcome = await this.closeAll(p, model, open, 'APPROVED', comment, fromStage, tx);
      const approved = { requestIds: open.map((r) => String(r.id)) };
      if (kind === 'stage') await this.o.modelVersions.applyTransition(p, grant, model, version, target as Stage, archiveExisting, tx, approved);
      else await this.o.registeredModels.setAliasIn(p, model, target, version, tx, approved);
      return outcome;
    });
  }

  /** Rejects every open request for (version, target); the caller holds the level the move needs. */
  async reject(p: Principal, grant: ModelGrant, kind: RequestKind, version: number, targetInput: string, comment: string | undefined): Promise<RequestOutcome> {
    const target = this.targetOf(kind, targetInput);
    return this.inModel(grant, async (model, tx) => {
      const fromStage = (await this.versionRow(grant, model.id, version, tx)).currentStage as Stage;
      if (kind === 'stage') await this.o.access.check(p, grant, levelForTransition(fromStage, target as Stage));
      const open = await this.openFor(grant, model.id, kind, version, target, undefined, tx);
      return this.closeAll(p, model, open, 'REJECTED', comment, fromStage, tx);
    });
  }

  /** Withdraws `creator`'s open request (the caller's own unless given); someone else's needs MANAGE. */
  async withdraw(
    p: Principal,
    grant: ModelGrant,
    kind: RequestKind,
    version: number,
    targetInput: string,
    creator: string | undefined,
    comment: string | undefined,
  ): Promise<RequestOutcome> {
    const target = this.targetOf(kind, targetInput);
    const of = creator ?? p.subject;
    if (of !== p.subject) await this.o.access.check(p, grant, 'MANAGE');
    return this.inModel(grant, async (model, tx) => {
      const fromStage = (await this.versionRow(grant, model.id, version, tx)).currentStage as Stage;
      const open = await this.openFor(grant, model.id, kind, version, target, of, tx);
      return this.closeAll(p, model, open, 'WITHDRAWN', comment, fromStage, tx);
    });
  }

  /** The open requests of a version of this kind, oldest first, with what the caller may do to each. */
  async listOpen(p: Principal, grant: ModelGrant, kind: RequestKind, version: number): Promise<ShownRequest[]> {
    const row = await this.o.versions.findRow({ modelId: grant.id, version });
    if (!row) throw versionNotFound(grant.name, version);
    const fromStage = row.currentStage as Stage;
    const open = await this.o.repo.listOpen(grant.id, version, kind);
    return open.map((r) => ({ row: r, fromStage, actions: this.actionsFor(p, grant.level, r, fromStage) }));
  }

  async getPolicy(grant: ModelGrant): Promise<ApprovalPolicyView> {
    const own = parseApprovalTargets((await this.o.repo.findPolicy(grant.id)) ?? []) ?? [];
    return { own, serverDefault: this.o.governance.serverDefault, effective: await this.o.governance.required(grant.id) };
  }

  /** Sets the model's own requirements (the caller holds MANAGE); the server's still apply. */
  async setPolicy(p: Principal, grant: ModelGrant, targets: readonly string[]): Promise<ApprovalPolicyView> {
    const own = parseApprovalTargets(targets);
    if (own === undefined) throw invalidParameter(`Invalid require_approval: each item must be one of ${APPROVAL_TARGETS.join(', ')}.`);
    await this.inModel(grant, async (model, tx) => {
      const before = parseApprovalTargets((await this.o.repo.findPolicy(model.id, tx)) ?? []) ?? [];
      await this.o.repo.setPolicy(model.id, own, { userId: p.subject, nowMs: this.o.clock.nowMs() }, tx);
      await this.o.audit.record(
        p,
        [
          {
            action: 'set_approval_policy',
            resourceType: 'registered_model',
            modelId: model.id,
            modelName: model.name,
            before: { require_approval: before },
            after: { require_approval: own },
          },
        ],
        tx,
      );
    });
    return this.getPolicy(grant);
  }

  /** APPROVE/REJECT for who may approve (not one's own under APPROVAL_SEPARATION), CANCEL for the requester or MANAGE. */
  private actionsFor(p: Principal, level: Level, r: TransitionRequestRow, fromStage: Stage): string[] {
    const need: Level = r.kind === 'stage' ? levelForTransition(fromStage, r.target as Stage) : 'MANAGE_PRODUCTION';
    const own = r.userId === p.subject;
    const actions: string[] = [];
    if (atLeast(level, need) && !(this.o.separation && own)) actions.push('APPROVE_TRANSITION_REQUEST', 'REJECT_TRANSITION_REQUEST');
    if (own || atLeast(level, 'MANAGE')) actions.push('CANCEL_TRANSITION_REQUEST');
    return actions;
  }

  private targetOf(kind: RequestKind, input: string): string {
    if (kind === 'stage') return canonicalStage(input);
    validateNewAlias(input);
    if (!this.o.isProtectedAlias(input)) {
      throw invalidParameter(`Alias '${input}' is not a protected alias (PROTECTED_ALIASES): set it directly with POST /api/2.0/mlflow/registered-models/alias.`);
    }
    return input;
  }

  private inModel<T>(grant: ModelGrant, fn: (model: { id: bigint; name: string }, tx: Db) => Promise<T>): Promise<T> {
    return this.o.writes.transaction(async (tx) => {
      const locked = await this.o.models.lockByName(grant.name, tx);
      if (!locked) throw modelNotFound(grant.name);
      return fn({ id: locked.id, name: grant.name }, tx);
    });
  }

  private async versionRow(grant: ModelGrant, modelId: bigint, version: number, tx: Db) {
    const row = await this.o.versions.findRow({ modelId, version }, tx);
    if (!row) throw versionNotFound(grant.name, version);
    return row;
  }

  private async openFor(grant: ModelGrant, modelId: bigint, kind: RequestKind, version: number, target: string, creator: string | undefined, tx: Db): Promise<TransitionRequestRow[]> {
    const open = await this.o.repo.findOpen({ modelId, version, kind, target }, creator, tx);
    if (open.length > 0) return open;
    const what = kind === 'stage' ? `stage ${target}` : `alias '${target}'`;
    throw notFound(`No open ${kind === 'stage' ? 'transition' : 'alias'} request for version ${version} of '${grant.name}' to ${what}${creator !== undefined ? ` by ${creator}` : ''}.`);
  }

  private async closeAll(
    p: Principal,
    model: { id: bigint; name: string },
    open: TransitionRequestRow[],
    status: RequestOutcome['status'],
    comment: string | undefined,
    fromStage: Stage,
    tx: Db,
  ): Promise<RequestOutcome> {
    const nowMs = this.o.clock.nowMs();
    const first = open[0]!;
    const kind = first.kind === 'alias' ? 'alias' : 'stage';
    await this.o.repo.close(
      open.map((r) => r.id),
      status,
      { userId: p.subject, comment: comment ?? null, nowMs },
      tx,
    );
    const action = REQUEST_ACTIONS[kind][STATUS_ACTION[status]];
    await this.o.audit.record(
      p,
      open.map((r) => requestEvent(model, r, action, requestPayload(r, { status, from_stage: fromStage, ...(comment !== undefined ? { comment } : {}) }))),
      tx,
    );
    return { kind, status, userId: p.subject, target: first.target, version: first.version, fromStage, comment: comment ?? null, atMs: nowMs };
  }
}
