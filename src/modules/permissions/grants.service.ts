import { isUniqueViolation } from '../../db/prisma-errors';
import { alreadyExists, invalidParameter, notFound } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Clock } from '../../lib/clock';
import type { AuditEvent, AuditService } from '../audit/audit.service';
import type { ExperimentsService } from '../experiments/experiments.service';
import { type Level, parseLevel, type ResourceType } from './permission-levels';
import type { Grant, GrantKey, GrantsRepository, PrincipalType } from './grants.repository';
import type { PermissionsService } from './permissions.service';

/** Who a grant is for: a user (`username`, MLflow's field) or a group (`group`, ours). */
export interface Grantee {
  username?: string;
  group?: string;
}

/** A resource as the REST API names it: an experiment id, or a registered model name. */
export type ResourceRef = { type: 'experiment'; experimentId: string } | { type: 'registered_model'; name: string };

interface Resolved {
  type: ResourceType;
  id: string;
  audit: Pick<AuditEvent, 'resourceType' | 'modelId' | 'modelName' | 'experimentId'>;
  what: string;
}

function grantee(g: Grantee): { principalType: PrincipalType; principal: string } {
  if (g.username && g.group) throw invalidParameter("Give either 'username' or 'group', not both.");
  if (g.username) return { principalType: 'user', principal: g.username };
  if (g.group) return { principalType: 'group', principal: g.group };
  throw invalidParameter("Missing value for required parameter 'username' (or 'group' for a group grant).");
}

const describeGrant = (g: Pick<Grant, 'principalType' | 'principal' | 'level'>) => ({
  principal_type: g.principalType,
  principal: g.principal,
  permission: g.level,
});

/**
 * Grant management (issue 5 §4): create, read, update, delete and list grants on experiments
 * and registered models. Changing grants needs MANAGE (or admin); every change is audited in
 * the same transaction.
 */
export class GrantsService {
  constructor(
    private readonly repo: GrantsRepository,
    private readonly permissions: PermissionsService,
    private readonly experiments: ExperimentsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  private async resolve(p: Principal, ref: ResourceRef, need: Level | undefined): Promise<Resolved> {
    if (ref.type === 'experiment') {
      const e = await this.experiments.requireExperiment(p, ref.experimentId, need ?? 'NO_PERMISSIONS');
      return { type: 'experiment', id: String(e.id), audit: { resourceType: 'experiment', experimentId: e.id }, what: `id=${ref.experimentId}` };
    }
    const model = await this.repo.findModelByName(ref.name);
    if (!model) throw notFound(`Registered Model with name=${ref.name} not found`);
    if (need) await this.permissions.require(p, 'registered_model', String(model.id), need, `'${ref.name}'`);
    return { type: 'registered_model', id: String(model.id), audit: { resourceType: 'registered_model', modelId: model.id, modelName: model.name }, what: `'${ref.name}'` };
  }

  private key(r: Resolved, g: Grantee): GrantKey {
    return { resourceType: r.type, resourceId: r.id, ...grantee(g) };
  }

  async create(p: Principal, ref: ResourceRef, g: Grantee, permission: string): Promise<Grant> {
    const r = await this.resolve(p, ref, 'MANAGE');
    const grant: Grant = { ...this.key(r, g), level: parseLevel(permission, r.type) };
    try {
      await this.repo.transaction(async (tx) => {
        await this.repo.insert(grant, this.clock.nowMs(), tx);
        await this.audit.record(p, [{ ...r.audit, action: 'grant_created', after: describeGrant(grant) }], tx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`A permission for ${grant.principalType} '${grant.principal}' on ${r.what} already exists; update it instead.`);
      throw err;
    }
    return grant;
  }

  /** MANAGE (or admin) may read any grant; a user may read their own. */
  async get(p: Principal, ref: ResourceRef, g: Grantee): Promise<Grant> {
    const self = g.username !== undefined && g.username === p.subject && !g.group;
    const r = await this.resolve(p, ref, self ? undefined : 'MANAGE');
    const grant = await this.repo.find(this.key(r, g));
    if (!grant) throw notFound(`No permission for ${grantee(g).principalType} '${grantee(g).principal}' on ${r.what}.`);
    return grant;
  }

  async update(p: Principal, ref: ResourceRef, g: Grantee, permission: string): Promise<void> {
    const r = await this.resolve(p, ref, 'MANAGE');
    const key = this.key(r, g);
    const level = parseLevel(permission, r.type);
    await this.repo.transaction(async (tx) => {
      const before = await this.repo.find(key, tx);
      if (!before) throw notFound(`No permission for ${key.principalType} '${key.principal}' on ${r.what}.`);
      await this.repo.setLevel(key, level, tx);
      await this.audit.record(p, [{ ...r.audit, action: 'grant_updated', before: describeGrant(before), after: describeGrant({ ...key, level }) }], tx);
    });
  }

  async delete(p: Principal, ref: ResourceRef, g: Grantee): Promise<void> {
    const r = await this.resolve(p, ref, 'MANAGE');
    const key = this.key(r, g);
    await this.repo.transaction(async (tx) => {
      const before = await this.repo.find(key, tx);
      if (!before) throw notFound(`No permission for ${key.principalType} '${key.principal}' on ${r.what}.`);
      await this.repo.remove(key, tx);
      await this.audit.record(p, [{ ...r.audit, action: 'grant_deleted', before: describeGrant(before) }], tx);
    });
  }

  /** Who has access: every grant on the resource (MANAGE or admin only). */
  async list(p: Principal, ref: ResourceRef): Promise<Grant[]> {
    const r = await this.resolve(p, ref, 'MANAGE');
    return this.repo.list(r.type, r.id);
  }
}
