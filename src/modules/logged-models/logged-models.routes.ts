import { z } from 'zod';
import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { pageBody } from '../../http/wire';
import { toApiLoggedModel } from './logged-models.mapper';
import * as S from './logged-models.schemas';

/** MLflow 3 logged-model RPCs (mlflow-api.md §1.4), used by 3.x log_model and register_model. */
export function loggedModelsRoutes(c: Container): AnyRoute[] {
  const models = c.loggedModels;
  const ofModel = models.experimentOf((i: { model_id: string }) => i.model_id);
  const onModel = (level: 'READ' | 'EDIT' | 'MANAGE') => ({ kind: 'resource' as const, type: 'experiment' as const, level, on: ofModel });
  const ModelId = z.object({ model_id: z.string() });

  return [
    route({
      key: 'logged-models.create',
      area: 'mlflow',
      method: 'POST',
      path: '/logged-models',
      schema: S.CreateLoggedModel,
      from: 'body',
      access: {
        kind: 'resource',
        type: 'experiment',
        level: 'EDIT',
        on: c.experiments.byId((i: { experiment_id: string }) => i.experiment_id),
        refine: 'the service also needs READ on the experiment of source_run_id, when given',
      },
      summary: 'Creates a logged model (PENDING) in an active experiment.',
      handle: async ({ input, principal }) => ({ model: toApiLoggedModel(await models.create(principal, input)) }),
    }),
    route({
      key: 'logged-models.search',
      area: 'mlflow',
      method: 'POST',
      path: '/logged-models/search',
      schema: S.SearchLoggedModels,
      from: 'body',
      cancellable: true,
      access: { kind: 'each', type: 'experiment', level: 'READ', note: 'logged models of the experiments the caller may read' },
      summary: 'Logged models of some experiments matching a filter, in order, a page at a time.',
      handle: async ({ input: i, principal }) =>
        pageBody(
          'models',
          await models.search(principal, {
            experimentIds: i.experiment_ids,
            filter: i.filter,
            datasets: i.datasets,
            orderBy: i.order_by,
            maxResults: i.max_results,
            pageToken: i.page_token,
          }),
          toApiLoggedModel,
        ),
    }),
    route({
      key: 'logged-models.get',
      area: 'mlflow',
      method: 'GET',
      path: '/logged-models/:model_id',
      schema: ModelId,
      from: 'params',
      access: onModel('READ'),
      summary: 'One logged model with its tags, params, metrics and registrations.',
      handle: async ({ input }) => ({ model: toApiLoggedModel(await models.get(input.model_id)) }),
    }),
    route({
      key: 'logged-models.finalize',
      area: 'mlflow',
      method: 'PATCH',
      path: '/logged-models/:model_id',
      schema: S.FinalizeLoggedModel.extend(ModelId.shape),
      from: 'params+body',
      access: onModel('EDIT'),
      summary: "Sets a logged model's status (READY once its artifacts are uploaded, or UPLOAD_FAILED).",
      handle: async ({ input }) => ({ model: toApiLoggedModel(await models.finalize(input.model_id, input.status)) }),
    }),
    route({
      key: 'logged-models.delete',
      area: 'mlflow',
      method: 'DELETE',
      path: '/logged-models/:model_id',
      schema: ModelId,
      from: 'params',
      access: onModel('MANAGE'),
      summary: 'Marks a logged model deleted.',
      handle: async ({ input }) => {
        await models.delete(input.model_id);
        return {};
      },
    }),
    route({
      key: 'logged-models.set-tags',
      area: 'mlflow',
      method: 'PATCH',
      path: '/logged-models/:model_id/tags',
      schema: S.SetLoggedModelTags.extend(ModelId.shape),
      from: 'params+body',
      access: onModel('EDIT'),
      summary: 'Sets tags on a logged model.',
      handle: async ({ input }) => ({ model: toApiLoggedModel(await models.setTags(input.model_id, input.tags)) }),
    }),
    route({
      key: 'logged-models.delete-tag',
      area: 'mlflow',
      method: 'DELETE',
      path: '/logged-models/:model_id/tags/:tag_key',
      schema: ModelId.extend({ tag_key: z.string() }),
      from: 'params',
      access: onModel('EDIT'),
      summary: 'Removes a tag from a logged model.',
      handle: async ({ input }) => {
        await models.deleteTag(input.model_id, input.tag_key);
        return {};
      },
    }),
    route({
      key: 'logged-models.log-params',
      area: 'mlflow',
      method: 'POST',
      path: '/logged-models/:model_id/params',
      schema: S.LogLoggedModelParams.extend(ModelId.shape),
      from: 'params+body',
      access: onModel('EDIT'),
      summary: 'Logs params of a logged model (a key logged again keeps its first value).',
      handle: async ({ input }) => {
        await models.logParams(input.model_id, input.params);
        return {};
      },
    }),
    route({
      key: 'logged-models.list-artifacts',
      area: 'mlflow',
      method: 'GET',
      path: '/logged-models/:model_id/artifacts/directories',
      schema: S.ListDirectories.extend(ModelId.shape),
      from: 'params+query',
      access: onModel('READ'),
      summary: "A directory's children under a logged model's artifact root.",
      handle: async ({ input }) => {
        const listing = await models.listArtifacts(input.model_id, input.artifact_directory_path);
        const files = listing.entries.map((e) => ({
          path: listing.path ? `${listing.path}/${e.name}` : e.name,
          is_dir: e.isDir,
          ...(e.isDir || e.size === undefined ? {} : { file_size: e.size }),
        }));
        return { root_uri: listing.rootUri, ...(files.length > 0 ? { files } : {}) };
      },
    }),
  ];
}
