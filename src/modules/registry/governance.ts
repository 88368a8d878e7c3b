import type { ApprovalTarget } from '../../config';
import { RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Clock } from '../../lib/clock';
import type { AuditEvent, AuditService } from '../audit/audit.service';
import type { Db } from './registry-records';
import type { RequestKind, TransitionRequestRow, TransitionRequestsRepository } from './transition-requests.repository';

export interface GovernedModel {
  id: bigint;
  name: string;
}

/** The audit actions of promotion requests, per kind (the webhooks and the activity feed read them). */
export const REQUEST_ACTIONS = {
  stage: {
    create: 'create_transition_request',
    approve: 'approve_transition_request',
    reject: 'reject_transition_request',
    withdraw: 'delete_transition_request',
    close: 'close_transition_request',
  },
  alias: {
    create: 'create_alias_request',
    approve: 'approve_alias_request',
    reject: 'reject_alias_request',
    withdraw: 'delete_alias_request',
    close: 'close_alias_request',
  },
} as const;

/** What a receiver of a request event needs: the request, its target, who filed it and why. */
export function requestPayload(r: TransitionRequestRow, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request_id: String(r.id),
    ...(r.kind === 'stage' ? { stage: r.target } : { alias: r.target }),
    version: String(r.version),
    creator: r.userId,
    ...(r.comment !== null ? { request_comment: r.comment } : {}),
    ...extra,
  };
}

export const requestEvent = (model: GovernedModel, r: TransitionRequestRow, action: string, after: Record<string, unknown>): AuditEvent => ({
  resourceType: 'registered_model',
  modelId: model.id,
  modelName: model.name,
  version: r.version,
  action,
  before: { status: 'OPEN' },
  after,
});

/**
 * The approval rules the registry's direct writes obey (README "Promotion requests"): which stages
 * and protected aliases need an approved request (the server's REQUIRE_APPROVAL plus the model's
 * own policy: a model can add requirements, never drop the server's), and the closing of open
 * requests when a version moves or is deleted by other means. Both run in the caller's transaction.
 */
export class Governance {
  constructor(
    private readonly repo: TransitionRequestsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly serverRequired: readonly ApprovalTarget[],
    private readonly isProtectedAlias: (alias: string) => boolean,
  ) {}

  get serverDefault(): readonly ApprovalTarget[] {
    return this.serverRequired;
  }

  /** The server's requirements and the model's own, in APPROVAL_TARGETS order. */
  async required(modelId: bigint, db?: Db): Promise<ApprovalTarget[]> {
    const own = (await this.repo.findPolicy(modelId, db)) ?? [];
    const all = new Set<string>([...this.serverRequired, ...own]);
    return (['Staging', 'Production', 'Archived', 'aliases'] as const).filter((t) => all.has(t));
  }

  /**
   * Refuses a direct move into a stage, or of a protected alias, that needs an approved request
   * (administrators excepted). Called once the caller's level has been checked.
   */
  async assertDirect(p: Principal, model: GovernedModel, kind: RequestKind, target: string, db: Db): Promise<void> {
    if (p.isAdmin) return;
    if (kind === 'alias' && !this.isProtectedAlias(target)) return;
    const required = await this.required(model.id, db);
    if (kind === 'stage' && required.includes(target as ApprovalTarget)) {
      throw new RegistryError(
        'PERMISSION_DENIED',
        `Moving a version of '${model.name}' to ${target} needs an approved transition request: file one with POST /api/2.0/mlflow/transition-requests/create and have an approver approve it.`,
      );
    }
    if (kind === 'alias' && required.includes('aliases')) {
      throw new RegistryError(
        'PERMISSION_DENIED',
        `Pointing the protected alias '${target}' of '${model.name}' at a version needs an approved alias request: file one with POST /api/2.0/mlflow/alias-requests/create and have an approver approve it.`,
      );
    }
  }

  /**
   * Closes the open requests the versions no longer answer to: on a move, their stage requests;
   * on a delete, all of them. Each closing is an audit event (`close_…_request`).
   */
  async closeRequestsOf(p: Principal, model: GovernedModel, versions: readonly number[], why: { moved: string } | { deleted: true }, db: Db): Promise<void> {
    if ('moved' in why) return this.closeRequestsOfMoves(p, model, new Map(versions.map((v) => [v, why.moved])), db);
    const open = await this.repo.findOpenOfVersions(model.id, versions, {}, db);
    await this.closeAs(p, model, open, (r) => `version ${r.version} was deleted`, db);
  }

  /** The open stage requests of versions that moved by other means (version → its new stage), in one read. */
  async closeRequestsOfMoves(p: Principal, model: GovernedModel, moves: ReadonlyMap<number, string>, db: Db): Promise<void> {
    const open = await this.repo.findOpenOfVersions(model.id, [...moves.keys()], { kind: 'stage' }, db);
    await this.closeAs(p, model, open, (r) => `version ${r.version} moved to ${moves.get(r.version)} by other means`, db);
  }

  /** Closes the open requests to point `alias` at `version`, once it points there by other means. */
  async closeAliasRequests(p: Principal, model: GovernedModel, alias: string, version: number, db: Db): Promise<void> {
    const open = await this.repo.findOpenOfVersions(model.id, [version], { kind: 'alias', target: alias }, db);
    await this.closeAs(p, model, open, () => `alias '${alias}' was set to version ${version} by other means`, db);
  }

  private async closeAs(p: Principal, model: GovernedModel, open: TransitionRequestRow[], reason: (r: TransitionRequestRow) => string, db: Db): Promise<void> {
    if (open.length === 0) return;
    const nowMs = this.clock.nowMs();
    await this.repo.close(
      open.map((r) => r.id),
      'CLOSED',
      { userId: p.subject, comment: null, nowMs },
      db,
    );
    const kindOf = (r: TransitionRequestRow) => (r.kind === 'alias' ? 'alias' : 'stage');
    await this.audit.record(
      p,
      open.map((r) => requestEvent(model, r, REQUEST_ACTIONS[kindOf(r)].close, requestPayload(r, { status: 'CLOSED', reason: reason(r) }))),
      db,
    );
  }
}
