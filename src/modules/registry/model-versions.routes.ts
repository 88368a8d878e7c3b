import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { pageBody } from '../../http/wire';
import { toApiModelVersion } from './model-versions.mapper';
import * as S from './model-versions.schemas';
import { modelGrant } from './registry-access';

const USE_VIEW = 'a USE caller gets only Production versions and versions behind protected aliases (403 otherwise)';

/** MLflow's model-version RPCs (model_registry.proto § ModelRegistryService), one row per RPC. */
export function modelVersionsRoutes(c: Container): AnyRoute[] {
  const versions = c.modelVersions;
  const ofVersion = versions.modelOf;

  return [
    route({
      key: 'model-versions.create',
      area: 'mlflow',
      method: 'POST',
      path: '/model-versions/create',
      schema: S.CreateModelVersion,
      from: 'body',
      access: {
        kind: 'resource',
        type: 'registered_model',
        level: 'EDIT',
        on: c.registeredModels.byName((i: { name: string }) => i.name),
        refine: 'the sources named need READ: the run (run_id, runs:/), the logged model (model_id, models:/m-…), the registered model (models:/), the owner of a mlflow-artifacts:/ key',
      },
      summary: 'Registers a new version of a registered model from a source.',
      handle: async ({ input, principal, granted }) => ({
        model_version: toApiModelVersion(
          await versions.create(principal, modelGrant(granted, input.name), {
            source: input.source,
            runId: input.run_id,
            runLink: input.run_link,
            description: input.description,
            loggedModelId: input.model_id,
            tags: input.tags,
          }),
        ),
      }),
    }),
    route({
      key: 'model-versions.get',
      area: 'mlflow',
      method: 'GET',
      path: '/model-versions/get',
      schema: S.GetModelVersion,
      from: 'query',
      access: {
        kind: 'resource',
        type: 'registered_model',
        level: 'USE',
        on: ofVersion,
        refine: USE_VIEW,
        cases: [{ key: 'none', level: 'READ', when: 'the version is in None or Staging and behind no protected alias' }],
      },
      summary: 'One model version with its tags and aliases.',
      handle: async ({ input, principal, granted }) => ({
        model_version: toApiModelVersion(await versions.get(principal, modelGrant(granted, input.name), input.version)),
      }),
    }),
    route({
      key: 'model-versions.update',
      area: 'mlflow',
      method: 'PATCH',
      path: '/model-versions/update',
      schema: S.UpdateModelVersion,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'EDIT', on: ofVersion },
      summary: "Sets a model version's description.",
      handle: async ({ input, principal }) => ({
        model_version: toApiModelVersion(await versions.update(principal, input.name, input.version, input.description)),
      }),
    }),
    route({
      key: 'model-versions.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/model-versions/delete',
      schema: S.DeleteModelVersion,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'MANAGE', on: ofVersion },
      summary: 'Deletes a model version (its number stays taken) and the aliases pointing at it.',
      handle: async ({ input, principal }) => {
        await versions.delete(principal, input.name, input.version);
        return {};
      },
    }),
    route({
      key: 'model-versions.search',
      area: 'mlflow',
      method: 'GET',
      path: '/model-versions/search',
      schema: S.SearchModelVersions,
      from: 'query',
      cancellable: true,
      access: { kind: 'each', type: 'registered_model', level: 'READ', note: 'versions of the models the caller may read' },
      summary: 'Model versions matching a filter, in order, a page at a time.',
      handle: async ({ input, principal }) =>
        pageBody(
          'model_versions',
          await versions.searchVersions(principal, { filter: input.filter, orderBy: input.order_by, maxResults: input.max_results, pageToken: input.page_token }),
          toApiModelVersion,
        ),
    }),
    route({
      key: 'model-versions.transition-stage',
      area: 'mlflow',
      method: 'POST',
      path: '/model-versions/transition-stage',
      schema: S.TransitionModelVersionStage,
      from: 'body',
      access: {
        kind: 'resource',
        type: 'registered_model',
        level: 'MANAGE_STAGING',
        on: ofVersion,
        refine: 'MANAGE_PRODUCTION when the current or target stage is Production, or a move into or out of Archived other than from or to Staging',
        cases: [{ key: 'production', level: 'MANAGE_PRODUCTION', when: 'Staging → Production' }],
      },
      summary: 'Moves a model version to another stage, optionally archiving the others in it.',
      handle: async ({ input, principal, granted }) => ({
        model_version: toApiModelVersion(await versions.transitionStage(principal, modelGrant(granted, input.name), input.version, input.stage, input.archive_existing_versions)),
      }),
    }),
    route({
      key: 'model-versions.get-download-uri',
      area: 'mlflow',
      method: 'GET',
      path: '/model-versions/get-download-uri',
      schema: S.GetModelVersionDownloadUri,
      from: 'query',
      access: { kind: 'resource', type: 'registered_model', level: 'USE', on: ofVersion, refine: USE_VIEW },
      summary: "Where a model version's files are.",
      handle: async ({ input, principal, granted }) => ({
        artifact_uri: await versions.getDownloadUri(principal, modelGrant(granted, input.name), input.version),
      }),
    }),
    route({
      key: 'model-versions.set-tag',
      area: 'mlflow',
      method: 'POST',
      path: '/model-versions/set-tag',
      schema: S.SetModelVersionTag,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'EDIT', on: ofVersion },
      summary: 'Sets a tag of a model version.',
      handle: async ({ input, granted, principal }) => {
        await versions.setTag(principal, modelGrant(granted, input.name), input.version, { key: input.key, value: input.value });
        return {};
      },
    }),
    route({
      key: 'model-versions.delete-tag',
      area: 'mlflow',
      method: 'DELETE',
      path: '/model-versions/delete-tag',
      schema: S.DeleteModelVersionTag,
      from: 'body',
      access: { kind: 'resource', type: 'registered_model', level: 'EDIT', on: ofVersion },
      summary: 'Removes a tag of a model version (none: nothing to do).',
      handle: async ({ input, granted, principal }) => {
        await versions.deleteTag(principal, modelGrant(granted, input.name), input.version, input.key);
        return {};
      },
    }),
  ];
}
