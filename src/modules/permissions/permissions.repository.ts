import { Prisma, type PrismaClient } from '@prisma/client';
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

/** GrantRecord's columns, from permission_grants (checked by test/integration/sql-columns.test.ts). */
export const GRANT_COLUMNS = Prisma.sql`resource_type AS "resourceType", resource_id AS "resourceId", principal_type AS "principalType", principal, level`;

/** The caller's own grants: as the user, or through one of its groups. */
const callerIs = (p: Principal) => Prisma.sql`((principal_type = 'user' AND principal = ${p.subject}) OR (principal_type = 'group' AND principal = ANY(${[...p.groups]}::text[])))`;

/**
 * Data access as src/db/README.md says: the checks every request (or search) makes through `sql`;
 * the grant endpoints' reads and all writes through Prisma.
 */
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
    return this.sql.query<GrantRecord>`
      SELECT ${GRANT_COLUMNS} FROM permission_grants
      WHERE resource_type = ${resourceType} AND resource_id = ${resourceId} AND ${callerIs(p)}`;
  }

  /**
   * grantsFor's levels as a column of another read: a scalar subquery over the resource whose id is
   * `id` (an SQL expression of that read's row), so a finder reads the resource and the caller's
   * grants on it in one statement. Its value is a text[] of levels (empty without a grant).
   */
  grantLevelsColumn(p: Principal, resourceType: ResourceType, id: Prisma.Sql): Prisma.Sql {
    return Prisma.sql`(SELECT COALESCE(array_agg(level), '{}'::text[]) FROM permission_grants
      WHERE resource_type = ${resourceType} AND resource_id = (${id})::text AND ${callerIs(p)})`;
  }

  /**
   * Every grant that applies to this caller for one resource type (small: one user's grants), in no
   * order. Through `sql`: every search of a caller who is not an admin starts here.
   */
  async allGrantsFor(p: Principal, resourceType: ResourceType): Promise<GrantRecord[]> {
    return this.sql.query<GrantRecord>`
      SELECT ${GRANT_COLUMNS} FROM permission_grants WHERE resource_type = ${resourceType} AND ${callerIs(p)}`;
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
