import type { Container } from '../../container';
import { type AnyRoute, type RefinedCase, route } from '../../http/route-table';
import type { Level } from '../permissions/permission-levels';
import { modelGrant } from './registry-access';
import { toApiAliasRequest, toApiApprovalPolicy, toApiOutcomeActivity, toApiRequestedActivity, toApiTransitionRequest } from './transition-requests.mapper';
import * as S from './transition-requests.schemas';

const BY_LEVEL =
  'approving or rejecting needs the level the move needs: MANAGE_STAGING, MANAGE_PRODUCTION when the current or target stage is Production or the move is into or out of Archived other than from or to Staging';
const FOUR_EYES = 'with APPROVAL_SEPARATION (default) the requester cannot approve their own request';
const OTHERS = 'withdrawing someone else’s request (creator) needs MANAGE';

/**
 * Promotion requests (README "Promotion requests"): Databricks' transition-requests endpoints
 * (docs.databricks.com/api/model-registry/v1/transition-request), the same for protected aliases
 * (alias-requests, ours), and a model's approval policy.
 */
export function transitionRequestsRoutes(c: Container): AnyRoute[] {
  const requests = c.transitionRequests;
  const ofVersion = c.modelVersions.modelOf;
  const onVersion = (level: Level, extra: { refine?: string; cases?: RefinedCase[] } = {}) => ({
    kind: 'resource' as const,
    type: 'registered_model' as const,
    level,
    on: ofVersion,
    ...extra,
  });

  return [
    route({
      key: 'transition-requests.create',
      area: 'mlflow',
      method: 'POST',
      path: '/transition-requests/create',
      schema: S.CreateTransitionRequest,
      from: 'body',
      access: onVersion('READ'),
      summary: 'Requests that a model version be moved to a stage (one open request per user, version and stage).',
      handle: async ({ input, principal, granted }) => ({
        request: toApiTransitionRequest(await requests.create(principal, modelGrant(granted, input.name), 'stage', input.version, input.stage, input.comment)),
      }),
    }),
    route({
      key: 'transition-requests.approve',
      area: 'mlflow',
      method: 'POST',
      path: '/transition-requests/approve',
      schema: S.ApproveTransitionRequest,
      from: 'body',
      access: onVersion('MANAGE_STAGING', {
        refine: `${BY_LEVEL}; ${FOUR_EYES}`,
        cases: [{ key: 'production', level: 'MANAGE_PRODUCTION', when: 'a request to move a Staging version to Production' }],
      }),
      summary: 'Approves the open requests to move a version to a stage and applies the move as transition-stage does.',
      handle: async ({ input, principal, granted }) => ({
        activity: toApiOutcomeActivity(
          await requests.approve(principal, modelGrant(granted, input.name), 'stage', input.version, input.stage, input.comment, input.archive_existing_versions),
        ),
      }),
    }),
    route({
      key: 'transition-requests.reject',
      area: 'mlflow',
      method: 'POST',
      path: '/transition-requests/reject',
      schema: S.RejectTransitionRequest,
      from: 'body',
      access: onVersion('MANAGE_STAGING', {
        refine: BY_LEVEL,
        cases: [{ key: 'production', level: 'MANAGE_PRODUCTION', when: 'a request to move a Staging version to Production' }],
      }),
      summary: 'Rejects the open requests to move a version to a stage.',
      handle: async ({ input, principal, granted }) => ({
        activity: toApiOutcomeActivity(await requests.reject(principal, modelGrant(granted, input.name), 'stage', input.version, input.stage, input.comment)),
      }),
    }),
    route({
      key: 'transition-requests.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/transition-requests/delete',
      schema: S.DeleteTransitionRequest,
      from: 'query',
      access: onVersion('READ', { refine: OTHERS, cases: [{ key: 'others', level: 'MANAGE', when: 'the request was filed by someone else' }] }),
      summary: 'Withdraws an open transition request (the caller’s own unless creator names another).',
      handle: async ({ input, principal, granted }) => ({
        activity: toApiOutcomeActivity(await requests.withdraw(principal, modelGrant(granted, input.name), 'stage', input.version, input.stage, input.creator, input.comment)),
      }),
    }),
    route({
      key: 'transition-requests.list',
      area: 'mlflow',
      method: 'GET',
      path: '/transition-requests/list',
      schema: S.ListTransitionRequests,
      from: 'query',
      access: onVersion('READ'),
      summary: 'The open transition requests of a model version, oldest first.',
      handle: async ({ input, principal, granted }) => ({
        requests: (await requests.listOpen(principal, modelGrant(granted, input.name), 'stage', input.version)).map(toApiRequestedActivity),
      }),
    }),
    route({
      key: 'alias-requests.create',
      area: 'mlflow',
      method: 'POST',
      path: '/alias-requests/create',
      schema: S.CreateAliasRequest,
      from: 'body',
      access: onVersion('READ', { refine: 'only protected aliases (PROTECTED_ALIASES) take requests' }),
      summary: 'Requests that a protected alias point at a model version (one open request per user, version and alias).',
      handle: async ({ input, principal, granted }) => ({
        request: toApiAliasRequest(await requests.create(principal, modelGrant(granted, input.name), 'alias', input.version, input.alias, input.comment)),
      }),
    }),
    route({
      key: 'alias-requests.approve',
      area: 'mlflow',
      method: 'POST',
      path: '/alias-requests/approve',
      schema: S.ApproveAliasRequest,
      from: 'body',
      access: onVersion('MANAGE_PRODUCTION', { refine: FOUR_EYES }),
      summary: 'Approves the open requests to point a protected alias at a version and sets it as registered-models/alias does.',
      handle: async ({ input, principal, granted }) => ({
        activity: toApiOutcomeActivity(await requests.approve(principal, modelGrant(granted, input.name), 'alias', input.version, input.alias, input.comment)),
      }),
    }),
    route({
      key: 'alias-requests.reject',
      area: 'mlflow',
      method: 'POST',
      path: '/alias-requests/reject',
      schema: S.RejectAliasRequest,
      from: 'body',
      access: onVersion('MANAGE_PRODUCTION'),
      summary: 'Rejects the open requests to point a protected alias at a version.',
      handle: async ({ input, principal, granted }) => ({
        activity: toApiOutcomeActivity(await requests.reject(principal, modelGrant(granted, input.name), 'alias', input.version, input.alias, input.comment)),
      }),
    }),
    route({
      key: 'alias-requests.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/alias-requests/delete',
      schema: S.DeleteAliasRequest,
      from: 'query',
      access: onVersion('READ', { refine: OTHERS, cases: [{ key: 'others', level: 'MANAGE', when: 'the request was filed by someone else' }] }),
      summary: 'Withdraws an open alias request (the caller’s own unless creator names another).',
      handle: async ({ input, principal, granted }) => ({
        activity: toApiOutcomeActivity(await requests.withdraw(principal, modelGrant(granted, input.name), 'alias', input.version, input.alias, input.creator, input.comment)),
      }),
    }),
    route({
      key: 'alias-requests.list',
      area: 'mlflow',
      method: 'GET',
      path: '/alias-requests/list',
      schema: S.ListAliasRequests,
      from: 'query',
      access: onVersion('READ'),
      summary: 'The open alias requests of a model version, oldest first.',
      handle: async ({ input, principal, granted }) => ({
        requests: (await requests.listOpen(principal, modelGrant(granted, input.name), 'alias', input.version)).map(toApiAliasRequest),
      }),
    }),
    route({
      key: 'registry.approval-policy.get',
      area: 'registry',
      method: 'GET',
      path: '/registered-models/approval-policy',
      schema: S.GetApprovalPolicy,
      from: 'query',
      access: { kind: 'resource', type: 'registered_model', level: 'READ', on: c.registeredModels.byName((i: { name: string }) => i.name) },
      summary: 'What needs an approved request on a registered model: its own policy, the server default (REQUIRE_APPROVAL) and both together.',
      handle: async ({ input, granted }) => toApiApprovalPolicy(input.name, await requests.getPolicy(modelGrant(granted, input.name))),
    }),
    route({
      key: 'registry.approval-policy.set',
      area: 'registry',
      method: 'POST',
      path: '/registered-models/approval-policy',
      schema: S.SetApprovalPolicy,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: c.registeredModels.byName((i: { name: string }) => i.name) },
      summary: 'Sets the stages (and `aliases`) of a registered model that need an approved request, on top of REQUIRE_APPROVAL.',
      handle: async ({ input, principal, granted }) => toApiApprovalPolicy(input.name, await requests.setPolicy(principal, modelGrant(granted, input.name), input.require_approval)),
    }),
  ];
}
