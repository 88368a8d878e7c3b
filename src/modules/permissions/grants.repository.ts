import type { Prisma, PrismaClient } from '@prisma/client';
import type { Level, ResourceType } from './permission-levels';

export type PrincipalType = 'user' | 'group';
export type Tx = Prisma.TransactionClient;

export interface GrantKey {
  resourceType: ResourceType;
  resourceId: string;
  principalType: PrincipalType;
  principal: string;
}

export interface Grant extends GrantKey {
  level: Level;
}

/** Grant rows for the permission REST endpoints; the check path lives in permissions.repository.ts. */
export class GrantsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  async find(key: GrantKey, db: Tx | PrismaClient = this.prisma): Promise<Grant | null> {
    const row = await db.permissionGrant.findUnique({ where: { resourceType_resourceId_principalType_principal: key } });
    return row ? ({ ...key, level: row.level as Level } satisfies Grant) : null;
  }

  async list(resourceType: ResourceType, resourceId: string): Promise<Grant[]> {
    const rows = await this.prisma.permissionGrant.findMany({
      where: { resourceType, resourceId },
      orderBy: [{ principalType: 'desc' }, { principal: 'asc' }],
    });
    return rows.map((r) => ({ resourceType, resourceId, principalType: r.principalType as PrincipalType, principal: r.principal, level: r.level as Level }));
  }

  async insert(grant: Grant, nowMs: number, tx: Tx): Promise<void> {
    await tx.permissionGrant.create({ data: { ...grant, createdAt: BigInt(nowMs) } });
  }

  async setLevel(key: GrantKey, level: Level, tx: Tx): Promise<void> {
    await tx.permissionGrant.update({ where: { resourceType_resourceId_principalType_principal: key }, data: { level } });
  }

  async remove(key: GrantKey, tx: Tx): Promise<void> {
    await tx.permissionGrant.delete({ where: { resourceType_resourceId_principalType_principal: key } });
  }
}
