import type { AuditEventRecord } from '../audit/audit.repository';
import type { ShownComment } from './comments.service';
import { REQUEST_ACTIONS } from './governance';

/** Databricks' CommentObject (docs.databricks.com/api/model-registry/v1/comment): id as a string, ms timestamps. */
export const toApiComment = (s: ShownComment) => ({
  id: String(s.row.id),
  user_id: s.row.userId,
  comment: s.row.comment,
  creation_timestamp: Number(s.row.creationTime),
  last_updated_timestamp: Number(s.row.lastUpdatedTime),
  available_actions: s.actions,
});

/** Databricks' activity_type for the audit actions it has one for; the others carry only `action`. */
const ACTIVITY_TYPES: Record<string, string> = {
  transition_stage: 'APPLIED_TRANSITION',
  archive_existing_version: 'SYSTEM_TRANSITION',
  create_transition_request: 'REQUESTED_TRANSITION',
  approve_transition_request: 'APPROVED_REQUEST',
  reject_transition_request: 'REJECTED_REQUEST',
  delete_transition_request: 'CANCELLED_REQUEST',
  close_transition_request: 'CANCELLED_REQUEST',
  create_comment: 'NEW_COMMENT',
};

const asRecord = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const FILED = new Set<string>([REQUEST_ACTIONS.stage.create, REQUEST_ACTIONS.alias.create]);
const opt = <K extends string>(key: K, v: string | undefined) => (v !== undefined ? ({ [key]: v } as Record<K, string>) : {});

/**
 * One audit event of a model version as an Activity of the feed: Databricks' fields
 * (activity_type, from_stage, to_stage, comment, system_comment, user_id, timestamps) where they
 * apply, plus `action` (the audit action), `alias`, `request_id` and `comment_id`.
 */
export function toApiActivity(e: AuditEventRecord) {
  const before = asRecord(e.before);
  const after = asRecord(e.after);
  const type = ACTIVITY_TYPES[e.action];
  const isStageMove = e.action === 'transition_stage' || e.action === 'archive_existing_version';
  const fromStage = isStageMove ? str(before.stage) : str(after.from_stage);
  const toStage = isStageMove ? str(after.stage) : str(after.stage);
  const systemComment =
    e.action === 'archive_existing_version'
      ? `Archived when version ${str(after.archived_by_version) ?? '?'} moved to ${str(before.stage) ?? '?'}`
      : e.action.startsWith('close_')
        ? `Closed: ${str(after.reason) ?? 'the version changed'}`
        : undefined;
  return {
    id: String(e.id),
    action: e.action,
    ...opt('activity_type', type),
    user_id: e.actor,
    creation_timestamp: Number(e.timestamp),
    last_updated_timestamp: Number(e.timestamp),
    ...opt('from_stage', fromStage),
    ...opt('to_stage', toStage),
    ...opt('alias', str(after.alias) ?? str(before.alias)),
    // A request's own event shows why it was filed; an approval, rejection or withdrawal only its own comment.
    ...opt('comment', str(after.comment) ?? (FILED.has(e.action) ? str(after.request_comment) : undefined)),
    ...opt('system_comment', systemComment),
    ...opt('request_id', str(after.request_id)),
    ...opt('comment_id', str(after.comment_id) ?? str(before.comment_id)),
  };
}
