import type { Container } from '../../container';
import { invalidParameter } from '../../errors';
import { type AnyRoute, type PermissionRule, route } from '../../http/route-table';
import { effectiveOperations } from './effective';
import * as S from './permissions.schemas';

/**
 * GET /api/2.0/registry/permissions/effective: the caller's own level on an experiment or a
 * registered model and, for every permission rule of the route table on it, whether they meet it.
 * Built after the rest of the table (src/routes.ts), from its rules.
 */
export function effectivePermissionRoutes(c: Container, rules: readonly PermissionRule[]): AnyRoute[] {
  const on = c.grants.on((i: S.EffectiveQuery) => {
    if ((i.experiment_id === undefined) === (i.name === undefined)) throw invalidParameter("Pass exactly one of 'experiment_id' or 'name' (a registered model).");
    return i.experiment_id !== undefined ? { type: 'experiment' as const, experimentId: i.experiment_id } : { type: 'registered_model' as const, name: i.name! };
  }, 'the experiment of experiment_id, or the registered model named name');

  return [
    route({
      key: 'permissions.effective',
      area: 'registry',
      method: 'GET',
      path: '/permissions/effective',
      schema: S.EffectiveQuery,
      from: 'query',
      access: { kind: 'resource', type: 'owner', level: 'NO_PERMISSIONS', on, refine: "the caller's own level: anyone who can name the resource may ask" },
      summary: "The caller's effective level on an experiment or registered model, and which operations on it that level allows.",
      handle: ({ input, principal, granted }) => {
        const type = granted!.type!;
        return {
          effective_permission: {
            resource_type: type,
            ...(type === 'experiment' ? { experiment_id: granted!.id } : { name: input.name }),
            user_id: principal.subject,
            is_admin: principal.isAdmin,
            permission_level: granted!.level,
            operations: effectiveOperations(rules, type, granted!.level, principal),
          },
        };
      },
    }),
  ];
}
