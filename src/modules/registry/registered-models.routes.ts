import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { pageBody } from '../../http/wire';
import { toApiModelVersion } from './model-versions.mapper';
import { toApiRegisteredModel } from './registered-models.mapper';
import * as S from './registered-models.schemas';
import { modelGrant } from './registry-access';
import type { FoundModel } from './registered-models.service';

const USE_VIEW = 'a USE caller sees only Production versions and versions behind protected aliases';
const ALIAS_LEVEL = 'a protected alias (PROTECTED_ALIASES) needs MANAGE_PRODUCTION';

/** MLflow's registered-model RPCs (model_registry.proto § ModelRegistryService), one row per RPC. */
export function registeredModelsRoutes(c: Container): AnyRoute[] {
  const models = c.registeredModels;
  const byName = models.byName((i: { name: string }) => i.name);
  const latestVersions = (method: 'GET' | 'POST') =>
    route({
      key: method === 'POST' ? 'registered-models.get-latest-versions' : 'registered-models.get-latest-versions.get',
      area: 'mlflow',
      method,
      path: '/registered-models/get-latest-versions',
      schema: S.GetLatestVersions,
      from: method === 'POST' ? 'body' : 'query',
      access: { kind: 'resource', type: 'registered_model', level: 'USE', on: byName, refine: USE_VIEW },
      summary: method === 'POST' ? 'Per stage, the latest version of a registered model (MLflow 2.x).' : 'Per stage, the latest version of a registered model (the GET binding).',
      handle: async ({ input, granted }) => {
        const versions = await models.getLatestVersions(modelGrant(granted, input.name), input.stages);
        return versions.length > 0 ? { model_versions: versions.map(toApiModelVersion) } : {};
      },
    });

  return [
    route({
      key: 'registered-models.create',
      area: 'mlflow',
      method: 'POST',
      path: '/registered-models/create',
      schema: S.CreateRegisteredModel,
      from: 'body',
      access: { kind: 'token', note: 'the creator gets MANAGE' },
      summary: 'Creates a registered model with tags and a description.',
      handle: async ({ input, principal }) => ({ registered_model: toApiRegisteredModel(await models.create(principal, input)) }),
    }),
    route({
      key: 'registered-models.get',
      area: 'mlflow',
      method: 'GET',
      path: '/registered-models/get',
      schema: S.GetRegisteredModel,
      from: 'query',
      access: { kind: 'resource', type: 'registered_model', level: 'USE', on: models.forGet, refine: USE_VIEW },
      summary: 'One registered model with its tags, aliases and latest versions per stage.',
      handle: async ({ input, granted }) => ({
        registered_model: toApiRegisteredModel(await models.get(input, modelGrant(granted, input.name).level, granted?.loaded as FoundModel | undefined)),
      }),
    }),
    route({
      key: 'registered-models.rename',
      area: 'mlflow',
      method: 'POST',
      path: '/registered-models/rename',
      schema: S.RenameRegisteredModel,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: byName },
      summary: 'Renames a registered model; its versions, aliases and grants stay with it.',
      handle: async ({ input, principal }) => ({ registered_model: toApiRegisteredModel(await models.rename(principal, input.name, input.new_name)) }),
    }),
    route({
      key: 'registered-models.update',
      area: 'mlflow',
      method: 'PATCH',
      path: '/registered-models/update',
      schema: S.UpdateRegisteredModel,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'EDIT', on: byName },
      summary: "Sets a registered model's description.",
      handle: async ({ input, principal }) => ({ registered_model: toApiRegisteredModel(await models.update(principal, input.name, input.description)) }),
    }),
    route({
      key: 'registered-models.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/registered-models/delete',
      schema: S.DeleteRegisteredModel,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: byName },
      summary: 'Deletes a registered model with its versions, tags and aliases.',
      handle: async ({ input, principal }) => {
        await models.delete(principal, input.name);
        return {};
      },
    }),
    route({
      key: 'registered-models.search',
      area: 'mlflow',
      method: 'GET',
      path: '/registered-models/search',
      schema: S.SearchRegisteredModels,
      from: 'query',
      cancellable: true,
      access: { kind: 'each', type: 'registered_model', level: 'USE', note: `models the caller may use; ${USE_VIEW}` },
      summary: 'Registered models matching a filter, in order, a page at a time.',
      handle: async ({ input, principal }) =>
        pageBody(
          'registered_models',
          await models.searchModels(principal, { filter: input.filter, orderBy: input.order_by, maxResults: input.max_results, pageToken: input.page_token }),
          toApiRegisteredModel,
        ),
    }),
    // The Python client uses POST (the proto's first binding); GET is the second.
    latestVersions('POST'),
    latestVersions('GET'),
    route({
      key: 'registered-models.set-tag',
      area: 'mlflow',
      method: 'POST',
      path: '/registered-models/set-tag',
      schema: S.SetRegisteredModelTag,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'EDIT', on: byName },
      summary: 'Sets a tag of a registered model.',
      handle: async ({ input, granted, principal }) => {
        await models.setTag(principal, modelGrant(granted, input.name), { key: input.key, value: input.value });
        return {};
      },
    }),
    route({
      key: 'registered-models.delete-tag',
      area: 'mlflow',
      method: 'DELETE',
      path: '/registered-models/delete-tag',
      schema: S.DeleteRegisteredModelTag,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'EDIT', on: byName },
      summary: 'Removes a tag of a registered model (none: nothing to do).',
      handle: async ({ input, granted, principal }) => {
        await models.deleteTag(principal, modelGrant(granted, input.name), input.key);
        return {};
      },
    }),
    route({
      key: 'registered-models.alias.set',
      area: 'mlflow',
      method: 'POST',
      path: '/registered-models/alias',
      schema: S.SetRegisteredModelAlias,
      from: 'body',
      access: {
        kind: 'resource',
        type: 'registered_model',
        level: 'MANAGE_STAGING',
        on: byName,
        refine: ALIAS_LEVEL,
        cases: [{ key: 'protected', level: 'MANAGE_PRODUCTION', when: 'an alias of PROTECTED_ALIASES' }],
      },
      summary: 'Points an alias at a version of a registered model.',
      handle: async ({ input, principal, granted }) => {
        await models.setAlias(principal, modelGrant(granted, input.name), input.alias, input.version);
        return {};
      },
    }),
    route({
      key: 'registered-models.alias.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/registered-models/alias',
      schema: S.DeleteRegisteredModelAlias,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE_STAGING', on: byName, refine: ALIAS_LEVEL },
      summary: 'Removes an alias of a registered model (none: nothing to do).',
      handle: async ({ input, principal, granted }) => {
        await models.deleteAlias(principal, modelGrant(granted, input.name), input.alias);
        return {};
      },
    }),
    route({
      key: 'registered-models.alias.get',
      area: 'mlflow',
      method: 'GET',
      path: '/registered-models/alias',
      schema: S.GetModelVersionByAlias,
      from: 'query',
      access: { kind: 'resource', type: 'registered_model', level: 'USE', on: byName, refine: USE_VIEW },
      summary: "The version an alias points at ('latest': the highest version).",
      handle: async ({ input, principal, granted }) => ({
        model_version: toApiModelVersion(await c.modelVersions.getByAlias(principal, modelGrant(granted, input.name), input.alias)),
      }),
    }),
  ];
}
