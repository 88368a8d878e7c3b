import type { Principal } from '../../http/principal';
import type { Clock } from '../../lib/clock';
import { pageOf, decodePageToken } from '../../lib/page-token';
import type { AuditEventInput, AuditEventRecord, AuditRepository, Db } from './audit.repository';

export type AuditEvent = Omit<AuditEventInput, 'timestamp' | 'actor'> & {
  /** What a webhook payload carries beyond the audit entry (tags, description of a created model); not stored in the trail. */
  payload?: Record<string, unknown>;
};

/** Hears every recorded event in the change's transaction (the webhooks' transactional outbox). */
export interface AuditListener {
  recorded(events: readonly AuditEvent[], timestampMs: number, db: Db): Promise<void>;
}

/**
 * The audit trail (mlflow-api.md §7.4): stage transitions, alias changes, deletes, renames,
 * description changes and grant changes, with actor, time, before and after. Never deleted.
 */
export class AuditService {
  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
    private readonly listener?: AuditListener,
  ) {}

  /** Records events as `actor`; pass the transaction `db` so the events commit with the change. */
  async record(actor: Principal, events: AuditEvent[], db?: Db): Promise<void> {
    const timestamp = this.clock.nowMs();
    await this.repo.insert(
      events.map(({ payload: _payload, ...e }) => ({ ...e, timestamp, actor: actor.subject })),
      db,
    );
    if (this.listener) await this.listener.recorded(events, timestamp, db ?? this.repo.db);
  }

  async list(
    filter: { modelId?: bigint; modelIds?: bigint[]; modelName?: string; version?: number; experimentId?: bigint },
    pageToken: string | undefined,
    maxResults: number,
  ): Promise<{ items: AuditEventRecord[]; nextPageToken?: string }> {
    const offset = decodePageToken(pageToken);
    const rows = await this.repo.list(filter, offset, maxResults + 1);
    return pageOf(rows, offset, maxResults);
  }

  deletedModelIds(name: string): Promise<bigint[]> {
    return this.repo.deletedModelIds(name);
  }
}
