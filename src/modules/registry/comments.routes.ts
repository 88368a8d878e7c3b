import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { toApiActivity, toApiComment } from './comments.mapper';
import * as S from './comments.schemas';
import { modelGrant } from './registry-access';

const AUTHOR = 'someone else’s comment needs MANAGE';

/**
 * Comments on model versions (Databricks' comments endpoints, docs.databricks.com/api/model-registry/v1/comment)
 * and a version's activity feed (ours, from the audit trail).
 */
export function commentsRoutes(c: Container): AnyRoute[] {
  const comments = c.comments;
  const ofVersion = c.modelVersions.modelOf;
  const ofComment = comments.modelOfComment;
  const others = [{ key: 'others', level: 'MANAGE' as const, when: 'the comment was written by someone else' }];

  return [
    route({
      key: 'comments.create',
      area: 'mlflow',
      method: 'POST',
      path: '/comments/create',
      schema: S.CreateComment,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'READ', on: ofVersion },
      summary: 'Comments on a model version.',
      handle: async ({ input, principal, granted }) => ({
        comment: toApiComment(await comments.create(principal, modelGrant(granted, input.name), input.version, input.comment)),
      }),
    }),
    route({
      key: 'comments.update',
      area: 'mlflow',
      method: 'PATCH',
      path: '/comments/update',
      schema: S.UpdateComment,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'READ', on: ofComment, refine: AUTHOR, cases: others },
      summary: "Edits a comment (the author's own, or any with MANAGE).",
      handle: async ({ input, principal, granted }) => ({
        comment: toApiComment(await comments.update(principal, modelGrant(granted, nameOf(granted)), input.id, input.comment)),
      }),
    }),
    route({
      key: 'comments.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/comments/delete',
      schema: S.DeleteComment,
      from: 'query',
      access: { kind: 'resource', type: 'registered_model', level: 'READ', on: ofComment, refine: AUTHOR, cases: others },
      summary: "Deletes a comment (the author's own, or any with MANAGE); the audit trail keeps it.",
      handle: async ({ input, principal, granted }) => {
        await comments.delete(principal, modelGrant(granted, nameOf(granted)), input.id);
        return {};
      },
    }),
    route({
      key: 'comments.list',
      area: 'mlflow',
      method: 'GET',
      path: '/comments/list',
      schema: S.ListComments,
      from: 'query',
      access: { kind: 'resource', type: 'registered_model', level: 'READ', on: ofVersion },
      summary: 'The comments of a model version, oldest first, a page at a time.',
      handle: async ({ input, principal, granted }) => {
        const page = await comments.list(principal, modelGrant(granted, input.name), input.version, input.page_token, input.max_results);
        return { comments: page.items.map(toApiComment), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
      },
    }),
    route({
      key: 'registry.model-versions.activity',
      area: 'registry',
      method: 'GET',
      path: '/model-versions/activity',
      schema: S.GetVersionActivity,
      from: 'query',
      access: { kind: 'resource', type: 'registered_model', level: 'READ', on: ofVersion },
      summary: "A model version's activity (requests, approvals, rejections, comments, transitions, alias moves), newest first, a page at a time.",
      handle: async ({ input, granted }) => {
        const page = await comments.activity(modelGrant(granted, input.name), input.version, input.page_token, input.max_results);
        return { activities: page.items.map(toApiActivity), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
      },
    }),
  ];
}

/** The model name the comment finder read (its `loaded`). */
function nameOf(granted: { loaded?: unknown } | undefined): string {
  return (granted?.loaded as { name: string } | undefined)?.name ?? '';
}
