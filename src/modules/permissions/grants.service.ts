import { isUniqueViolation } from '../../db/prisma-errors';
import { alreadyExists, invalidParameter, notFound } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Finder, Found } from '../../http/route-table';
import type { Clock } from '../../lib/clock';
import { parseExperimentId } from '../../lib/ids';
import type { AuditEvent, AuditService } from '../audit/audit.service';
import type { ExperimentsService } from '../experiments/experiments.service';
import { atLeast, type Level, parseLevel, type ResourceType } from './permission-levels';
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
 * A registered model's id and current name by its name, or null if none has it, without a
 * permission check (the grants service checks itself). The registry owns that table and depends on
 * this module, so the container passes its lookup in.
 */
export type FindRegisteredModel = (name: string) => Promise<{ id: bigint; name: string } | null>;

export interface GrantsServiceOptions {
  repo: GrantsRepository;
  permissions: PermissionsService;
  experiments: ExperimentsService;
  findModel: FindRegisteredModel;
  audit: AuditService;
  clock: Clock;
}

/**
 * Grant management, behind MLflow's permission endpoints and ours for groups (README
 * "Permissions"): create, read, update, delete and list grants on experiments and registered
 * models. Changing grants needs MANAGE (or admin), which the route table's rows check before these
 * methods run; every change is audited in the same transaction.
 */
export class GrantsService {
  private readonly repo: GrantsRepository;
  private readonly permissions: PermissionsService;
  private readonly experiments: ExperimentsService;
  private readonly findModel: FindRegisteredModel;
  private readonly audit: AuditService;
  private readonly clock: Clock;

  constructor(options: GrantsServiceOptions) {
    this.repo = options.repo;
    this.permissions = options.permissions;
    this.experiments = options.experiments;
    this.findModel = options.findModel;
    this.audit = options.audit;
    this.clock = options.clock;
  }

  /** The route table's finder of the resource a grant request names: 404 if absent, no permission check. */
  on<I>(refOf: (input: I) => ResourceRef, via: string): Finder<I> {
    return {
      via,
      find: async (input): Promise<Found> => {
        const r = await this.resolve(refOf(input));
        return { type: r.type, id: r.id, what: r.what };
      },
    };
  }

  /** 404 if absent. */
  private async resolve(ref: ResourceRef): Promise<Resolved> {
    if (ref.type === 'experiment') {
      await this.experiments.exists(ref.experimentId);
      const id = parseExperimentId(ref.experimentId);
      return { type: 'experiment', id: String(id), audit: { resourceType: 'experiment', experimentId: id }, what: `id=${ref.experimentId}` };
    }
    const model = await this.findModel(ref.name);
    if (!model) throw notFound(`Registered Model with name=${ref.name} not found`);
    return { type: 'registered_model', id: String(model.id), audit: { resourceType: 'registered_model', modelId: model.id, modelName: model.name }, what: `'${ref.name}'` };
  }

  private key(r: Resolved, g: Grantee): GrantKey {
    return { resourceType: r.type, resourceId: r.id, ...grantee(g) };
  }

  async create(p: Principal, ref: ResourceRef, g: Grantee, permission: string): Promise<Grant> {
    const r = await this.resolve(ref);
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

  /** A user may read their own grant; any other needs MANAGE (or admin), checked here: `level` is the caller's. */
  async get(p: Principal, ref: ResourceRef, g: Grantee, level: Level): Promise<Grant> {
    const self = g.username !== undefined && g.username === p.subject && !g.group;
    const r = await this.resolve(ref);
    if (!self && !atLeast(level, 'MANAGE')) await this.permissions.require(p, r.type, r.id, 'MANAGE', r.what);
    const grant = await this.repo.find(this.key(r, g));
    if (!grant) throw notFound(`No permission for ${grantee(g).principalType} '${grantee(g).principal}' on ${r.what}.`);
    return grant;
  }

  async update(p: Principal, ref: ResourceRef, g: Grantee, permission: string): Promise<void> {
    const r = await this.resolve(ref);
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
    const r = await this.resolve(ref);
    const key = this.key(r, g);
    await this.repo.transaction(async (tx) => {
      const before = await this.repo.find(key, tx);
      if (!before) throw notFound(`No permission for ${key.principalType} '${key.principal}' on ${r.what}.`);
      await this.repo.remove(key, tx);
      await this.audit.record(p, [{ ...r.audit, action: 'grant_deleted', before: describeGrant(before) }], tx);
    });
  }

  /** Who has access: every grant on the resource (MANAGE or admin only). */
  async list(ref: ResourceRef): Promise<Grant[]> {
    const r = await this.resolve(ref);
    return this.repo.list(r.type, r.id);
  }
}
