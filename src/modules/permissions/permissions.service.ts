import type { Prisma } from '@prisma/client';
import type { Config } from '../../config';
import { RegistryError } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Clock } from '../../lib/clock';
import type { AuditService } from '../audit/audit.service';
import { type Level, type ResourceType, atLeast, forResourceType, highest, rank } from './permission-levels';
import type { PermissionsRepository } from './permissions.repository';

/**
 * Which resources of a type a caller may see, as a condition the repositories put into their
 * SQL: all, all but some ids, or only some ids.
 */
export type VisibleScope = { kind: 'all' } | { kind: 'except'; ids: string[] } | { kind: 'only'; ids: string[] };

const NOUN: Record<ResourceType, string> = { experiment: 'experiment', registered_model: 'registered model' };

export class PermissionsService {
  constructor(
    private readonly repo: PermissionsRepository,
    private readonly config: Config,
    private readonly clock: Clock,
    /** Denials go to the audit trail too, so an operator sees who tried what; absent only in unit tests of this class. */
    private readonly audit?: AuditService,
  ) {}

  private defaultFor(type: ResourceType): Level {
    return forResourceType(this.config.defaultPermission, type);
  }

  /**
   * The caller's effective level: admin → MANAGE; else the highest grant; else the default.
   * `read`: the levels of the caller's grants on the resource when they were read already (with
   * the resource, through grantsColumn); read here otherwise.
   */
  async levelFor(p: Principal, type: ResourceType, resourceId: string, read?: readonly Level[]): Promise<Level> {
    if (p.isAdmin) return 'MANAGE';
    const levels = read ?? (await this.repo.grantsFor(p, type, resourceId)).map((g) => g.level);
    return highest(levels) ?? this.defaultFor(type);
  }

  /**
   * For a finder that reads one resource of `type`: a column of its statement (given the SQL of
   * the row's id) holding the caller's grant levels on that row, to hand to levelFor or require as
   * `read`, so the check needs no statement of its own. Undefined for an admin, who needs none.
   */
  grantsColumn(p: Principal, type: ResourceType): ((id: Prisma.Sql) => Prisma.Sql) | undefined {
    return p.isAdmin ? undefined : (id) => this.repo.grantLevelsColumn(p, type, id);
  }

  /** Throws PERMISSION_DENIED naming the missing level; returns the caller's level otherwise (`read` as levelFor's). */
  async require(p: Principal, type: ResourceType, resourceId: string, need: Level, what: string, read?: readonly Level[]): Promise<Level> {
    const have = await this.levelFor(p, type, resourceId, read);
    if (!atLeast(have, need)) {
      await this.recordDenial(p, type, resourceId, need, have);
      throw this.denied(p, type, need, what);
    }
    return have;
  }

  /** Best effort: a failing audit write must not turn the 403 into something else. */
  async recordDenial(p: Principal, type: ResourceType, resourceId: string, need: Level, have: Level): Promise<void> {
    if (!this.audit || !/^\d+$/.test(resourceId)) return;
    const id = BigInt(resourceId);
    await this.audit
      .record(p, [
        {
          action: 'permission_denied',
          resourceType: type,
          ...(type === 'experiment' ? { experimentId: id } : { modelId: id }),
          before: { permission: have },
          after: { required: need },
        },
      ])
      .catch(() => undefined);
  }

  denied(p: Principal, type: ResourceType, need: Level, what: string): RegistryError {
    return new RegistryError('PERMISSION_DENIED', `Permission denied: user '${p.subject}' needs ${need} on ${NOUN[type]} ${what}.`);
  }

  /** The resources of this type the caller holds at least `need` on, for filtering in SQL. */
  async visibleScope(p: Principal, type: ResourceType, need: Level): Promise<VisibleScope> {
    if (p.isAdmin) return { kind: 'all' };
    const byResource = new Map<string, Level>();
    for (const g of await this.repo.allGrantsFor(p, type)) {
      const prev = byResource.get(g.resourceId);
      if (!prev || rank(g.level) > rank(prev)) byResource.set(g.resourceId, g.level);
    }
    if (atLeast(this.defaultFor(type), need)) {
      const ids = [...byResource].filter(([, l]) => !atLeast(l, need)).map(([id]) => id);
      return ids.length === 0 ? { kind: 'all' } : { kind: 'except', ids };
    }
    return { kind: 'only', ids: [...byResource].filter(([, l]) => atLeast(l, need)).map(([id]) => id) };
  }

  /** The creator of an experiment or registered model gets MANAGE on it. */
  async grantCreator(p: Principal, type: ResourceType, resourceId: string): Promise<void> {
    await this.repo.upsert({ resourceType: type, resourceId, principalType: 'user', principal: p.subject, level: 'MANAGE' }, this.clock.nowMs());
  }

  async forgetResource(type: ResourceType, resourceId: string): Promise<void> {
    await this.repo.removeAllFor(type, resourceId);
  }

  isProtectedAlias(alias: string): boolean {
    return this.config.protectedAliases.includes(alias.toLowerCase());
  }
}
