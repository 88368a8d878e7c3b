import type { Container } from '../../container';
import { type AnyRoute, route } from '../../http/route-table';
import { pageBody } from '../../http/wire';
import { toApiExperiment } from './experiments.mapper';
import * as S from './experiments.schemas';

/** MLflow's experiment RPCs (mlflow-api.md §1.1). */
export function experimentsRoutes(c: Container): AnyRoute[] {
  const experiments = c.experiments;
  const byId = experiments.byId((i: { experiment_id: string }) => i.experiment_id);
  const search = (method: 'GET' | 'POST') =>
    route({
      key: `experiments.search${method === 'GET' ? '.get' : ''}`,
      area: 'mlflow',
      method,
      path: '/experiments/search',
      schema: S.SearchExperiments,
      from: method === 'GET' ? 'query' : 'body',
      cancellable: true,
      access: { kind: 'each', type: 'experiment', level: 'READ' },
      summary: 'Experiments matching a filter, in order, a page at a time.',
      handle: async ({ input, principal }) =>
        pageBody(
          'experiments',
          await experiments.search(principal, {
            filter: input.filter,
            orderBy: input.order_by ?? [],
            maxResults: input.max_results ?? 1000,
            pageToken: input.page_token,
            viewType: input.view_type,
          }),
          toApiExperiment,
        ),
    });

  return [
    route({
      key: 'experiments.create',
      area: 'mlflow',
      method: 'POST',
      path: '/experiments/create',
      schema: S.CreateExperiment,
      from: 'body',
      access: { kind: 'token', note: 'the creator gets MANAGE' },
      summary: 'Creates an experiment.',
      handle: async ({ input, principal }) => ({ experiment_id: await experiments.create(principal, input) }),
    }),
    route({
      key: 'experiments.get',
      area: 'mlflow',
      method: 'GET',
      path: '/experiments/get',
      schema: S.GetExperiment,
      from: 'query',
      access: { kind: 'resource', type: 'experiment', level: 'READ', on: byId },
      summary: 'One experiment with its tags.',
      handle: async ({ input }) => ({ experiment: toApiExperiment(await experiments.get(input.experiment_id)) }),
    }),
    route({
      key: 'experiments.get-by-name',
      area: 'mlflow',
      method: 'GET',
      path: '/experiments/get-by-name',
      schema: S.GetExperimentByName,
      from: 'query',
      access: { kind: 'resource', type: 'experiment', level: 'READ', on: experiments.byName((i: { experiment_name: string }) => i.experiment_name) },
      summary: 'One experiment, found by its name.',
      handle: async ({ input }) => ({ experiment: toApiExperiment(await experiments.getByName(input.experiment_name)) }),
    }),
    search('POST'),
    search('GET'),
    route({
      key: 'experiments.update',
      area: 'mlflow',
      method: 'POST',
      path: '/experiments/update',
      schema: S.UpdateExperiment,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: byId },
      summary: 'Renames an active experiment.',
      handle: async ({ input, principal }) => {
        await experiments.rename(principal, input.experiment_id, input.new_name);
        return {};
      },
    }),
    route({
      key: 'experiments.delete',
      area: 'mlflow',
      method: 'POST',
      path: '/experiments/delete',
      schema: S.DeleteExperiment,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'MANAGE', on: byId },
      summary: 'Marks an experiment and its runs deleted (they can be restored).',
      handle: async ({ input, principal }) => {
        await experiments.delete(principal, input.experiment_id);
        return {};
      },
    }),
    route({
      key: 'experiments.restore',
      area: 'mlflow',
      method: 'POST',
      path: '/experiments/restore',
      schema: S.RestoreExperiment,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'MANAGE', on: byId },
      summary: 'Restores a deleted experiment.',
      handle: async ({ input, principal }) => {
        await experiments.restore(principal, input.experiment_id);
        return {};
      },
    }),
    route({
      key: 'experiments.set-experiment-tag',
      area: 'mlflow',
      method: 'POST',
      path: '/experiments/set-experiment-tag',
      schema: S.SetExperimentTag,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: byId },
      summary: 'Sets a tag on an active experiment.',
      handle: async ({ input }) => {
        await experiments.setTag(input.experiment_id, input.key, input.value);
        return {};
      },
    }),
    route({
      key: 'experiments.delete-experiment-tag',
      area: 'mlflow',
      method: 'POST',
      path: '/experiments/delete-experiment-tag',
      schema: S.DeleteExperimentTag,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: byId },
      summary: 'Removes a tag from an active experiment.',
      handle: async ({ input }) => {
        await experiments.deleteTag(input.experiment_id, input.key);
        return {};
      },
    }),
  ];
}
