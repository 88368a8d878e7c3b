import type { PrismaClient } from '@prisma/client';
import type { Db } from './registry-records';

/** `stage`: a request to move a version to a stage; `alias`: to point a protected alias at it. */
export type RequestKind = 'stage' | 'alias';
export type RequestStatus = 'OPEN' | 'APPROVED' | 'REJECTED' | 'WITHDRAWN' | 'CLOSED';

export interface TransitionRequestRow {
  id: bigint;
  modelId: bigint;
  version: number;
  kind: string;
  /** The stage (canonical) or the alias (lower case). */
  target: string;
  userId: string;
  comment: string | null;
  status: string;
  creationTime: bigint;
  lastUpdatedTime: bigint;
  closedBy: string | null;
  closeComment: string | null;
}

export interface RequestTarget {
  modelId: bigint;
  version: number;
  kind: RequestKind;
  target: string;
}

/**
 * Promotion requests and approval policies. Knows nothing about permissions. Data access as
 * src/db/README.md says: these are cold paths, so everything goes through Prisma; every write
 * and the reads that decide one run in the caller's transaction (after the model row is locked).
 */
export class TransitionRequestsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async insert(r: RequestTarget & { userId: string; comment: string | null; nowMs: number }, db: Db): Promise<TransitionRequestRow> {
    return db.transitionRequest.create({
      data: {
        modelId: r.modelId,
        version: r.version,
        kind: r.kind,
        target: r.target,
        userId: r.userId,
        comment: r.comment,
        status: 'OPEN',
        creationTime: BigInt(r.nowMs),
        lastUpdatedTime: BigInt(r.nowMs),
      },
    });
  }

  /** The open requests for this target, oldest first; only `userId`'s when given. */
  async findOpen(t: RequestTarget, userId: string | undefined, db: Db = this.prisma): Promise<TransitionRequestRow[]> {
    return db.transitionRequest.findMany({
      where: { modelId: t.modelId, version: t.version, kind: t.kind, target: t.target, status: 'OPEN', ...(userId !== undefined ? { userId } : {}) },
      orderBy: { id: 'asc' },
    });
  }

  /** Every open request of a version of this kind, oldest first. */
  async listOpen(modelId: bigint, version: number, kind: RequestKind): Promise<TransitionRequestRow[]> {
    return this.prisma.transitionRequest.findMany({ where: { modelId, version, kind, status: 'OPEN' }, orderBy: { id: 'asc' } });
  }

  /** Open requests of these versions (`kind` undefined: both kinds; `target`: only those for it). */
  async findOpenOfVersions(modelId: bigint, versions: readonly number[], filter: { kind?: RequestKind; target?: string }, db: Db): Promise<TransitionRequestRow[]> {
    if (versions.length === 0) return [];
    return db.transitionRequest.findMany({
      where: {
        modelId,
        version: { in: [...versions] },
        status: 'OPEN',
        ...(filter.kind !== undefined ? { kind: filter.kind } : {}),
        ...(filter.target !== undefined ? { target: filter.target } : {}),
      },
      orderBy: { id: 'asc' },
    });
  }

  /** Closes open requests by id; returns how many were still open. */
  async close(ids: readonly bigint[], status: Exclude<RequestStatus, 'OPEN'>, by: { userId: string; comment: string | null; nowMs: number }, db: Db): Promise<number> {
    if (ids.length === 0) return 0;
    const { count } = await db.transitionRequest.updateMany({
      where: { id: { in: [...ids] }, status: 'OPEN' },
      data: { status, closedBy: by.userId, closeComment: by.comment, lastUpdatedTime: BigInt(by.nowMs) },
    });
    return count;
  }

  /** A model's own approval requirements (ApprovalPolicy), or null when it has none. */
  async findPolicy(modelId: bigint, db: Db = this.prisma): Promise<string[] | null> {
    const row = await db.approvalPolicy.findUnique({ where: { modelId } });
    return row ? row.requireApproval : null;
  }

  async setPolicy(modelId: bigint, requireApproval: readonly string[], by: { userId: string; nowMs: number }, db: Db): Promise<void> {
    const data = { requireApproval: [...requireApproval], updatedBy: by.userId, lastUpdatedTime: BigInt(by.nowMs) };
    await db.approvalPolicy.upsert({ where: { modelId }, create: { modelId, ...data }, update: data });
  }
}
