import type { PrismaClient } from '@prisma/client';
import type { Db } from './registry-records';

export interface CommentRow {
  id: bigint;
  modelId: bigint;
  version: number;
  userId: string;
  comment: string;
  creationTime: bigint;
  lastUpdatedTime: bigint;
}

/**
 * Comments on model versions. Knows nothing about permissions. Data access as src/db/README.md
 * says: a cold path, all through Prisma; writes in the caller's transaction.
 */
export class CommentsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async insert(c: { modelId: bigint; version: number; userId: string; comment: string; nowMs: number }, db: Db): Promise<CommentRow> {
    return db.modelVersionComment.create({
      data: { modelId: c.modelId, version: c.version, userId: c.userId, comment: c.comment, creationTime: BigInt(c.nowMs), lastUpdatedTime: BigInt(c.nowMs) },
    });
  }

  async find(id: bigint, db: Db = this.prisma): Promise<CommentRow | null> {
    return db.modelVersionComment.findUnique({ where: { id } });
  }

  async update(id: bigint, comment: string, nowMs: number, db: Db): Promise<CommentRow> {
    return db.modelVersionComment.update({ where: { id }, data: { comment, lastUpdatedTime: BigInt(nowMs) } });
  }

  async delete(id: bigint, db: Db): Promise<void> {
    await db.modelVersionComment.deleteMany({ where: { id } });
  }

  /** A version's comments, oldest first, `limit` from `offset`. */
  async list(modelId: bigint, version: number, offset: number, limit: number): Promise<CommentRow[]> {
    return this.prisma.modelVersionComment.findMany({ where: { modelId, version }, orderBy: { id: 'asc' }, skip: offset, take: limit });
  }
}
