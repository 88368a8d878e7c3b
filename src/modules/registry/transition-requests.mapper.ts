import type { ApprovalPolicyView, RequestOutcome, ShownRequest } from './transition-requests.service';

/**
 * Databricks' wire shapes (docs.databricks.com/api/model-registry/v1/transition-request): a
 * TransitionRequest {creation_timestamp, to_stage, user_id, comment, available_actions}; list
 * answers Activity objects of type REQUESTED_TRANSITION; approve, reject and delete answer the
 * Activity they recorded. `id` is ours (the request's), as are alias requests' `alias`/`version`.
 */
export const toApiTransitionRequest = (s: ShownRequest) => ({
  id: String(s.row.id),
  creation_timestamp: Number(s.row.creationTime),
  to_stage: s.row.target,
  user_id: s.row.userId,
  ...(s.row.comment !== null ? { comment: s.row.comment } : {}),
  available_actions: s.actions,
});

/** An open transition request in list-transition-requests: an Activity of type REQUESTED_TRANSITION. */
export const toApiRequestedActivity = (s: ShownRequest) => ({
  id: String(s.row.id),
  activity_type: 'REQUESTED_TRANSITION',
  from_stage: s.fromStage,
  to_stage: s.row.target,
  user_id: s.row.userId,
  ...(s.row.comment !== null ? { comment: s.row.comment } : {}),
  creation_timestamp: Number(s.row.creationTime),
  last_updated_timestamp: Number(s.row.lastUpdatedTime),
  available_actions: s.actions,
});

const ACTIVITY_TYPE = { APPROVED: 'APPROVED_REQUEST', REJECTED: 'REJECTED_REQUEST', WITHDRAWN: 'CANCELLED_REQUEST' } as const;

export const toApiOutcomeActivity = (o: RequestOutcome) => ({
  activity_type: ACTIVITY_TYPE[o.status],
  ...(o.kind === 'stage' ? { from_stage: o.fromStage, to_stage: o.target } : { alias: o.target, version: String(o.version) }),
  user_id: o.userId,
  ...(o.comment !== null ? { comment: o.comment } : {}),
  creation_timestamp: o.atMs,
  last_updated_timestamp: o.atMs,
});

/** An alias request (ours; the same fields as a transition request, with `alias` and `version`). */
export const toApiAliasRequest = (s: ShownRequest) => ({
  id: String(s.row.id),
  creation_timestamp: Number(s.row.creationTime),
  last_updated_timestamp: Number(s.row.lastUpdatedTime),
  alias: s.row.target,
  version: String(s.row.version),
  user_id: s.row.userId,
  ...(s.row.comment !== null ? { comment: s.row.comment } : {}),
  available_actions: s.actions,
});

export const toApiApprovalPolicy = (name: string, v: ApprovalPolicyView) => ({
  name,
  require_approval: v.own,
  server_default: [...v.serverDefault],
  effective: v.effective,
});
