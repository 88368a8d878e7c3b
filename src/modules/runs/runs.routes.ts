import type { Container } from '../../container';
import { invalidParameter } from '../../errors';
import { LIMITS } from '../../http/limits';
import { type AnyRoute, route } from '../../http/route-table';
import { pageBody } from '../../http/wire';
import { toApiMetric, toApiRun, toApiRunInfo } from './runs.mapper';
import { bulkRunIds } from './runs.service';
import * as S from './runs.schemas';

/** MLflow's run RPCs and metric history (mlflow-api.md §1.2–1.3). */
export function runsRoutes(c: Container): AnyRoute[] {
  const runs = c.runs;
  const ofRun = runs.experimentOf(S.resolveRunId);
  const ofRunId = runs.experimentOf((i: { run_id: string }) => i.run_id);
  const MODELS_NOTE = 'the service also needs READ on the experiment of each logged model named';

  return [
    route({
      key: 'runs.create',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/create',
      schema: S.CreateRun,
      from: 'body',
      access: {
        kind: 'resource',
        type: 'experiment',
        level: 'EDIT',
        on: c.experiments.byId((i: { experiment_id?: string }) => i.experiment_id ?? '0', 'experiment_id (default 0)'),
      },
      summary: 'Starts a run in an active experiment.',
      handle: async ({ input, principal }) => ({ run: toApiRun(await runs.create(principal, input)) }),
    }),
    route({
      key: 'runs.get',
      area: 'mlflow',
      method: 'GET',
      path: '/runs/get',
      schema: S.GetRun,
      from: 'query',
      access: { kind: 'resource', type: 'experiment', level: 'READ', on: ofRun },
      summary: 'One run with its params, tags, latest metrics and inputs.',
      handle: async ({ input }) => ({ run: toApiRun(await runs.get(S.resolveRunId(input))) }),
    }),
    route({
      key: 'runs.update',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/update',
      schema: S.UpdateRun,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRun },
      summary: "Sets an active run's status, end time or name.",
      handle: async ({ input }) => ({
        run_info: toApiRunInfo(await runs.update(S.resolveRunId(input), { status: input.status, endTime: input.end_time, name: input.run_name })),
      }),
    }),
    route({
      key: 'runs.delete',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/delete',
      schema: S.DeleteRun,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'MANAGE', on: ofRunId },
      summary: 'Marks a run deleted (its artifacts stay; it can be restored).',
      handle: async ({ input }) => {
        await runs.delete(input.run_id);
        return {};
      },
    }),
    route({
      key: 'runs.restore',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/restore',
      schema: S.RestoreRun,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'MANAGE', on: ofRunId },
      summary: 'Restores a deleted run.',
      handle: async ({ input }) => {
        await runs.restore(input.run_id);
        return {};
      },
    }),
    route({
      key: 'runs.log-metric',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/log-metric',
      schema: S.LogMetric,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRun, refine: MODELS_NOTE.replace('READ', 'EDIT') },
      summary: 'Logs one metric point of an active run.',
      handle: async ({ input, principal }) => {
        await runs.logMetric(principal, S.resolveRunId(input), input);
        return {};
      },
    }),
    route({
      key: 'runs.log-parameter',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/log-parameter',
      schema: S.LogParam,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRun },
      summary: 'Logs one param of an active run (params never change once logged).',
      handle: async ({ input, principal }) => {
        await runs.logParam(principal, S.resolveRunId(input), input.key, input.value);
        return {};
      },
    }),
    route({
      key: 'runs.set-tag',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/set-tag',
      schema: S.SetTag,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRun },
      summary: 'Sets a tag of an active run.',
      handle: async ({ input, principal }) => {
        await runs.setTag(principal, S.resolveRunId(input), input.key, input.value);
        return {};
      },
    }),
    route({
      key: 'runs.delete-tag',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/delete-tag',
      schema: S.DeleteTag,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRunId },
      summary: 'Removes a tag of an active run.',
      handle: async ({ input }) => {
        await runs.deleteTag(input.run_id, input.key);
        return {};
      },
    }),
    route({
      key: 'runs.log-batch',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/log-batch',
      schema: S.LogBatch,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRunId, refine: MODELS_NOTE.replace('READ', 'EDIT') },
      summary: 'Logs metrics, params and tags of an active run in one write.',
      handle: async ({ input, principal, req }) => {
        const size = req.bodyBytes ?? 0;
        if (size > LIMITS.logBatchBodyBytes) {
          throw invalidParameter(`Batched logging API requests must be at most ${LIMITS.logBatchBodyBytes} bytes, got a request of ${size} bytes.`);
        }
        await runs.logBatch(principal, input);
        return {};
      },
    }),
    route({
      key: 'runs.log-model',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/log-model',
      schema: S.LogModel,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRunId },
      summary: "Appends a model summary to an active run's mlflow.log-model.history tag (MLflow 2.x).",
      handle: async ({ input }) => {
        await runs.logModel(input.run_id, input.model_json);
        return {};
      },
    }),
    route({
      key: 'runs.log-inputs',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/log-inputs',
      schema: S.LogInputs,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRunId, refine: MODELS_NOTE },
      summary: 'Links datasets and logged models to an active run as inputs.',
      handle: async ({ input, principal }) => {
        await runs.logInputs(principal, input);
        return {};
      },
    }),
    route({
      key: 'runs.outputs',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/outputs',
      schema: S.LogOutputs,
      from: 'body',
      access: { kind: 'resource', type: 'experiment', level: 'EDIT', on: ofRunId, refine: MODELS_NOTE },
      summary: 'Links logged models to an active run as outputs.',
      handle: async ({ input, principal }) => {
        await runs.logOutputs(principal, input.run_id, input.models);
        return {};
      },
    }),
    route({
      key: 'runs.search',
      area: 'mlflow',
      method: 'POST',
      path: '/runs/search',
      schema: S.SearchRuns,
      from: 'body',
      cancellable: true,
      access: { kind: 'each', type: 'experiment', level: 'READ', note: 'runs of the experiments the caller may read' },
      summary: 'Runs of some experiments matching a filter, in order, a page at a time.',
      handle: async ({ input, principal }) =>
        pageBody(
          'runs',
          await runs.search(principal, {
            experimentIds: input.experiment_ids,
            filter: input.filter,
            orderBy: input.order_by,
            maxResults: input.max_results,
            pageToken: input.page_token,
            runViewType: input.run_view_type,
          }),
          toApiRun,
        ),
    }),
    route({
      key: 'metrics.get-history',
      area: 'mlflow',
      method: 'GET',
      path: '/metrics/get-history',
      schema: S.GetMetricHistory,
      from: 'query',
      access: { kind: 'resource', type: 'experiment', level: 'READ', on: ofRun },
      summary: "Every point of one of a run's metrics, a page at a time.",
      handle: async ({ input }) => pageBody('metrics', await runs.metricHistory(S.resolveRunId(input), input.metric_key, input.max_results, input.page_token), toApiMetric),
    }),
    route({
      key: 'metrics.get-history-bulk-interval',
      area: 'mlflow',
      method: 'GET',
      path: '/metrics/get-history-bulk-interval',
      schema: S.GetMetricHistoryBulkInterval,
      from: 'query',
      access: { kind: 'resource', type: 'experiment', level: 'READ', on: runs.experimentsOf((i: { run_ids: string[] }) => bulkRunIds(i.run_ids)) },
      summary: 'Down-sampled histories of one metric for up to 100 runs (charts).',
      handle: async ({ input }) => {
        const points = await runs.metricHistoryBulkInterval(input.run_ids, input.metric_key, input.start_step, input.end_step, input.max_results ?? 2500);
        return points.length > 0 ? { metrics: points.map((pt) => ({ ...toApiMetric(pt), run_id: pt.runId })) } : {};
      },
    }),
  ];
}
