import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { toApiExperimentPermission, toApiGrant, toApiModelPermission } from './permissions.mapper';
import * as S from './permissions.schemas';

const SELF = 'a user may read their own grant; any other needs MANAGE, which the service checks';

/** Permission management, MLflow-compatible (mlflow-api.md §6.3) plus groups and listing. */
export function permissionsRoutes(c: Container): AnyRoute[] {
  const grants = c.grants;
  const exp = (experimentId: string) => ({ type: 'experiment' as const, experimentId });
  const model = (name: string) => ({ type: 'registered_model' as const, name });
  const onExperiment = grants.on((i: { experiment_id: string }) => exp(i.experiment_id), 'experiment_id');
  const onModel = grants.on((i: { name: string }) => model(i.name), 'the registered model named name');
  const manageExperiment = { kind: 'resource', type: 'experiment', level: 'MANAGE', on: onExperiment } as const;
  const manageModel = { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: onModel } as const;

  return [
    route({
      key: 'experiments.permissions.create',
      area: 'mlflow',
      method: 'POST',
      path: '/experiments/permissions/create',
      schema: S.ExperimentGrantWithLevel,
      from: 'body',
      access: manageExperiment,
      summary: 'Grants a user or group a permission on an experiment.',
      handle: async ({ input: i, principal }) => ({
        experiment_permission: toApiExperimentPermission(i.experiment_id, await grants.create(principal, exp(i.experiment_id), i, i.permission)),
      }),
    }),
    route({
      key: 'experiments.permissions.get',
      area: 'mlflow',
      method: 'GET',
      path: '/experiments/permissions/get',
      schema: S.ExperimentGrant,
      from: 'query',
      access: {
        kind: 'resource',
        type: 'experiment',
        level: 'NO_PERMISSIONS',
        on: onExperiment,
        refine: SELF,
        cases: [{ key: 'other', level: 'MANAGE', when: "another principal's grant" }],
      },
      summary: "One user's or group's grant on an experiment.",
      handle: async ({ input: i, principal, granted }) => ({
        experiment_permission: toApiExperimentPermission(i.experiment_id, await grants.get(principal, exp(i.experiment_id), i, granted!.level)),
      }),
    }),
    route({
      key: 'experiments.permissions.update',
      area: 'mlflow',
      method: 'PATCH',
      path: '/experiments/permissions/update',
      schema: S.ExperimentGrantWithLevel,
      from: 'body',
      access: manageExperiment,
      summary: "Changes a user's or group's permission on an experiment.",
      handle: async ({ input: i, principal }) => {
        await grants.update(principal, exp(i.experiment_id), i, i.permission);
        return {};
      },
    }),
    route({
      key: 'experiments.permissions.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/experiments/permissions/delete',
      schema: S.ExperimentGrant,
      from: 'body',
      access: manageExperiment,
      summary: "Removes a user's or group's grant on an experiment.",
      handle: async ({ input: i, principal }) => {
        await grants.delete(principal, exp(i.experiment_id), i);
        return {};
      },
    }),
    route({
      key: 'experiments.permissions.list',
      area: 'mlflow',
      method: 'GET',
      path: '/experiments/permissions/list',
      schema: S.ExperimentRef,
      from: 'query',
      access: manageExperiment,
      summary: 'Every grant on an experiment (who has access).',
      handle: async ({ input: i }) => {
        const list = await grants.list(exp(i.experiment_id));
        return list.length > 0 ? { permissions: list.map(toApiGrant) } : {};
      },
    }),

    route({
      key: 'registered-models.permissions.create',
      area: 'mlflow',
      method: 'POST',
      path: '/registered-models/permissions/create',
      schema: S.ModelGrantWithLevel,
      from: 'body',
      access: manageModel,
      summary: 'Grants a user or group a permission on a registered model.',
      handle: async ({ input: i, principal }) => ({
        registered_model_permission: toApiModelPermission(i.name, await grants.create(principal, model(i.name), i, i.permission)),
      }),
    }),
    route({
      key: 'registered-models.permissions.get',
      area: 'mlflow',
      method: 'GET',
      path: '/registered-models/permissions/get',
      schema: S.ModelGrant,
      from: 'query',
      access: {
        kind: 'resource',
        type: 'registered_model',
        level: 'NO_PERMISSIONS',
        on: onModel,
        refine: SELF,
        cases: [{ key: 'other', level: 'MANAGE', when: "another principal's grant" }],
      },
      summary: "One user's or group's grant on a registered model.",
      handle: async ({ input: i, principal, granted }) => ({
        registered_model_permission: toApiModelPermission(i.name, await grants.get(principal, model(i.name), i, granted!.level)),
      }),
    }),
    route({
      key: 'registered-models.permissions.update',
      area: 'mlflow',
      method: 'PATCH',
      path: '/registered-models/permissions/update',
      schema: S.ModelGrantWithLevel,
      from: 'body',
      access: manageModel,
      summary: "Changes a user's or group's permission on a registered model.",
      handle: async ({ input: i, principal }) => {
        await grants.update(principal, model(i.name), i, i.permission);
        return {};
      },
    }),
    route({
      key: 'registered-models.permissions.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/registered-models/permissions/delete',
      schema: S.ModelGrant,
      from: 'body',
      access: manageModel,
      summary: "Removes a user's or group's grant on a registered model.",
      handle: async ({ input: i, principal }) => {
        await grants.delete(principal, model(i.name), i);
        return {};
      },
    }),
    route({
      key: 'registered-models.permissions.list',
      area: 'mlflow',
      method: 'GET',
      path: '/registered-models/permissions/list',
      schema: S.ModelRef,
      from: 'query',
      access: manageModel,
      summary: 'Every grant on a registered model (who has access).',
      handle: async ({ input: i }) => {
        const list = await grants.list(model(i.name));
        return list.length > 0 ? { permissions: list.map(toApiGrant) } : {};
      },
    }),
  ];
}
