import type { PrismaClient } from '@prisma/client';
import type { SqlExecutor } from '../../db/sql';
import type { Principal } from '../../http/principal';
import type { Level, ResourceType } from './permission-levels';

export interface GrantRecord {
  resourceType: ResourceType;
  resourceId: string;
  principalType: 'user' | 'group';
  principal: string;
  level: Level;
}

const principalWhere = (p: Principal) => ({
  OR: [
    { principalType: 'user', principal: p.subject },
    ...(p.groups.length > 0 ? [{ principalType: 'group', principal: { in: [...p.groups] } }] : []),
  ],
});

export class PermissionsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlExecutor,
  ) {}

  /**
   * Grants that apply to this caller (as a user or through a group) on one resource. Through
   * `sql`: this runs on every authorised request.
   */
  async grantsFor(p: Principal, resourceType: ResourceType, resourceId: string): Promise<GrantRecord[]> {
    const rows = await this.sql.query<{ principal_type: 'user' | 'group'; principal: string; level: Level }>`
      SELECT principal_type, principal, level FROM permission_grants
      WHERE resource_type = ${resourceType} AND resource_id = ${resourceId}
        AND ((principal_type = 'user' AND principal = ${p.subject}) OR (principal_type = 'group' AND principal = ANY(${[...p.groups]}::text[])))`;
    return rows.map((r) => ({ resourceType, resourceId, principalType: r.principal_type, principal: r.principal, level: r.level }));
  }

  /** Every grant that applies to this caller for one resource type (small: one user's grants). */
  async allGrantsFor(p: Principal, resourceType: ResourceType): Promise<GrantRecord[]> {
    const rows = await this.prisma.permissionGrant.findMany({ where: { resourceType, ...principalWhere(p) } });
    return rows as unknown as GrantRecord[];
  }

  async listForResource(resourceType: ResourceType, resourceId: string): Promise<GrantRecord[]> {
    const rows = await this.prisma.permissionGrant.findMany({
      where: { resourceType, resourceId },
      orderBy: [{ principalType: 'asc' }, { principal: 'asc' }],
    });
    return rows as unknown as GrantRecord[];
  }

  async upsert(grant: GrantRecord, nowMs: number): Promise<void> {
    const { resourceType, resourceId, principalType, principal, level } = grant;
    await this.prisma.permissionGrant.upsert({
      where: { resourceType_resourceId_principalType_principal: { resourceType, resourceId, principalType, principal } },
      create: { ...grant, createdAt: BigInt(nowMs) },
      update: { level },
    });
  }

  async remove(resourceType: ResourceType, resourceId: string, principalType: 'user' | 'group', principal: string): Promise<boolean> {
    const { count } = await this.prisma.permissionGrant.deleteMany({ where: { resourceType, resourceId, principalType, principal } });
    return count > 0;
  }

  async removeAllFor(resourceType: ResourceType, resourceId: string): Promise<void> {
    await this.prisma.permissionGrant.deleteMany({ where: { resourceType, resourceId } });
  }
}
