import { notFound } from '../../errors';
import type { Principal } from '../../http/principal';
import type { Finder } from '../../http/route-table';
import type { Clock } from '../../lib/clock';
import { decodePageToken, pageOf } from '../../lib/page-token';
import type { AuditEvent, AuditService } from '../audit/audit.service';
import type { AuditEventRecord } from '../audit/audit.repository';
import { atLeast } from '../permissions/permission-levels';
import type { CommentRow, CommentsRepository } from './comments.repository';
import type { ModelVersionsRepository } from './model-versions.repository';
import type { RegisteredModelsRepository } from './registered-models.repository';
import { type ModelGrant, modelNotFound, type RegistryAccess, versionNotFound } from './registry-access';
import type { Db } from './registry-records';

export interface CommentsServiceOptions {
  repo: CommentsRepository;
  models: RegisteredModelsRepository;
  versions: ModelVersionsRepository;
  access: RegistryAccess;
  audit: AuditService;
  clock: Clock;
}

export interface ShownComment {
  row: CommentRow;
  /** EDIT_COMMENT and DELETE_COMMENT for the author or MANAGE. */
  actions: string[];
}

const commentNotFound = (id: string | bigint) => notFound(`Comment with id=${id} not found`);

/**
 * Comments on model versions (Databricks' comments endpoints, docs.databricks.com/api/model-registry/v1/comment)
 * and the activity feed of a version (its audit events, newest first). Anyone with READ comments;
 * only the author or MANAGE edits or deletes. Every change is an audit event in its transaction.
 */
export class CommentsService {
  private readonly o: CommentsServiceOptions;

  constructor(options: CommentsServiceOptions) {
    this.o = options;
  }

  /** The route table's finder of a comment's registered model, by comment id: 404 if the comment or its version is gone. */
  readonly modelOfComment: Finder<{ id: string }> = {
    via: 'the registered model of the comment (id)',
    find: async (input) => {
      const row = /^\d{1,18}$/.test(input.id) ? await this.o.repo.find(BigInt(input.id)) : null;
      if (!row || !(await this.o.versions.findRow({ modelId: row.modelId, version: row.version }))) throw commentNotFound(input.id);
      const [model] = await this.o.models.findByIds([row.modelId]);
      if (!model) throw commentNotFound(input.id);
      return { ...this.o.access.found(model), loaded: { row, name: model.name } };
    },
  };

  async create(p: Principal, grant: ModelGrant, version: number, text: string): Promise<ShownComment> {
    const row = await this.inModel(grant.name, async (model, tx) => {
      if (!(await this.o.versions.findRow({ modelId: model.id, version }, tx))) throw versionNotFound(grant.name, version);
      const created = await this.o.repo.insert({ modelId: model.id, version, userId: p.subject, comment: text, nowMs: this.o.clock.nowMs() }, tx);
      await this.o.audit.record(p, [this.event(model, created, 'create_comment', undefined, { comment_id: String(created.id), creator: created.userId, comment: text })], tx);
      return created;
    });
    return this.shown(p, grant, row);
  }

  /** `loaded`: what modelOfComment found. The author or MANAGE only. */
  async update(p: Principal, grant: ModelGrant, id: string, text: string): Promise<ShownComment> {
    const row = await this.inModel(grant.name, async (model, tx) => {
      const before = await this.authored(p, grant, id, tx);
      const updated = await this.o.repo.update(before.id, text, this.o.clock.nowMs(), tx);
      await this.o.audit.record(
        p,
        [this.event(model, updated, 'update_comment', { comment_id: id, comment: before.comment }, { comment_id: id, creator: before.userId, comment: text })],
        tx,
      );
      return updated;
    });
    return this.shown(p, grant, row);
  }

  async delete(p: Principal, grant: ModelGrant, id: string): Promise<void> {
    await this.inModel(grant.name, async (model, tx) => {
      const before = await this.authored(p, grant, id, tx);
      await this.o.repo.delete(before.id, tx);
      await this.o.audit.record(p, [this.event(model, before, 'delete_comment', { comment_id: id, creator: before.userId, comment: before.comment }, { comment_id: id })], tx);
    });
  }

  /** A version's comments, oldest first, a page at a time. */
  async list(p: Principal, grant: ModelGrant, version: number, pageToken: string | undefined, maxResults: number): Promise<{ items: ShownComment[]; nextPageToken?: string }> {
    if (!(await this.o.versions.findRow({ modelId: grant.id, version }))) throw versionNotFound(grant.name, version);
    const offset = decodePageToken(pageToken);
    const page = pageOf(await this.o.repo.list(grant.id, version, offset, maxResults + 1), offset, maxResults);
    return { ...page, items: page.items.map((r) => this.shown(p, grant, r)) };
  }

  /** The version's activity: its audit events (requests, approvals, comments, moves, aliases), newest first. */
  async activity(grant: ModelGrant, version: number, pageToken: string | undefined, maxResults: number): Promise<{ items: AuditEventRecord[]; nextPageToken?: string }> {
    if (!(await this.o.versions.findRow({ modelId: grant.id, version }))) throw versionNotFound(grant.name, version);
    return this.o.audit.list({ modelId: grant.id, version }, pageToken, maxResults);
  }

  private shown(p: Principal, grant: ModelGrant, row: CommentRow): ShownComment {
    return { row, actions: row.userId === p.subject || atLeast(grant.level, 'MANAGE') ? ['EDIT_COMMENT', 'DELETE_COMMENT'] : [] };
  }

  /** The comment, read under the model lock; someone else's needs MANAGE. */
  private async authored(p: Principal, grant: ModelGrant, id: string, tx: Db): Promise<CommentRow> {
    const row = await this.o.repo.find(BigInt(id), tx);
    if (!row || row.modelId !== grant.id) throw commentNotFound(id);
    if (row.userId !== p.subject) await this.o.access.check(p, grant, 'MANAGE');
    return row;
  }

  private event(model: { id: bigint; name: string }, c: CommentRow, action: string, before: Record<string, unknown> | undefined, after: Record<string, unknown>): AuditEvent {
    return { resourceType: 'registered_model', modelId: model.id, modelName: model.name, version: c.version, action, ...(before ? { before } : {}), after };
  }

  private inModel<T>(name: string, fn: (model: { id: bigint; name: string }, tx: Db) => Promise<T>): Promise<T> {
    return this.o.models.transaction(async (tx) => {
      const locked = await this.o.models.lockByName(name, tx);
      if (!locked) throw modelNotFound(name);
      return fn({ id: locked.id, name }, tx);
    });
  }
}
