import { Router } from 'express';
import type { Container } from '../../container';
import { invalidParameter } from '../../errors';
import { LIMITS } from '../../http/limits';
import { principalOf } from '../../http/principal';
import { pageBody } from '../../http/wire';
import { parseBody, parseQuery } from '../../http/validate';
import { toApiMetric, toApiRun, toApiRunInfo } from './runs.mapper';
import * as S from './runs.schemas';

/** MLflow's run RPCs and metric history (mlflow-api.md §1.2–1.3). */
export function runsRoutes(c: Container): Router {
  const router = Router();
  const runs = c.runs;

  router.post('/runs/create', async (req, res) => {
    res.json({ run: toApiRun(await runs.create(principalOf(req), parseBody(S.CreateRun, req))) });
  });

  router.get('/runs/get', async (req, res) => {
    const input = parseQuery(S.GetRun, req);
    res.json({ run: toApiRun(await runs.get(principalOf(req), S.resolveRunId(input))) });
  });

  router.post('/runs/update', async (req, res) => {
    const input = parseBody(S.UpdateRun, req);
    const run = await runs.update(principalOf(req), S.resolveRunId(input), { status: input.status, endTime: input.end_time, name: input.run_name });
    res.json({ run_info: toApiRunInfo(run) });
  });

  router.post('/runs/delete', async (req, res) => {
    await runs.delete(principalOf(req), parseBody(S.DeleteRun, req).run_id);
    res.json({});
  });

  router.post('/runs/restore', async (req, res) => {
    await runs.restore(principalOf(req), parseBody(S.RestoreRun, req).run_id);
    res.json({});
  });

  router.post('/runs/log-metric', async (req, res) => {
    const input = parseBody(S.LogMetric, req);
    await runs.logMetric(principalOf(req), S.resolveRunId(input), input);
    res.json({});
  });

  router.post('/runs/log-parameter', async (req, res) => {
    const input = parseBody(S.LogParam, req);
    await runs.logParam(principalOf(req), S.resolveRunId(input), input.key, input.value);
    res.json({});
  });

  router.post('/runs/set-tag', async (req, res) => {
    const input = parseBody(S.SetTag, req);
    await runs.setTag(principalOf(req), S.resolveRunId(input), input.key, input.value);
    res.json({});
  });

  router.post('/runs/delete-tag', async (req, res) => {
    const input = parseBody(S.DeleteTag, req);
    await runs.deleteTag(principalOf(req), input.run_id, input.key);
    res.json({});
  });

  router.post('/runs/log-batch', async (req, res) => {
    const size = req.bodyBytes ?? 0;
    if (size > LIMITS.logBatchBodyBytes) {
      throw invalidParameter(`Batched logging API requests must be at most ${LIMITS.logBatchBodyBytes} bytes, got a request of ${size} bytes.`);
    }
    await runs.logBatch(principalOf(req), parseBody(S.LogBatch, req));
    res.json({});
  });

  router.post('/runs/log-model', async (req, res) => {
    const input = parseBody(S.LogModel, req);
    await runs.logModel(principalOf(req), input.run_id, input.model_json);
    res.json({});
  });

  router.post('/runs/log-inputs', async (req, res) => {
    await runs.logInputs(principalOf(req), parseBody(S.LogInputs, req));
    res.json({});
  });

  router.post('/runs/outputs', async (req, res) => {
    const input = parseBody(S.LogOutputs, req);
    await runs.logOutputs(principalOf(req), input.run_id, input.models);
    res.json({});
  });

  router.post('/runs/search', async (req, res) => {
    const input = parseBody(S.SearchRuns, req);
    const page = await runs.search(principalOf(req), {
      experimentIds: input.experiment_ids,
      filter: input.filter,
      orderBy: input.order_by,
      maxResults: input.max_results,
      pageToken: input.page_token,
      runViewType: input.run_view_type,
    });
    res.json(pageBody('runs', page, toApiRun));
  });

  router.get('/metrics/get-history', async (req, res) => {
    const input = parseQuery(S.GetMetricHistory, req);
    const page = await runs.metricHistory(principalOf(req), S.resolveRunId(input), input.metric_key, input.max_results, input.page_token);
    res.json(pageBody('metrics', page, toApiMetric));
  });

  router.get('/metrics/get-history-bulk-interval', async (req, res) => {
    const input = parseQuery(S.GetMetricHistoryBulkInterval, req);
    const points = await runs.metricHistoryBulkInterval(principalOf(req), input.run_ids, input.metric_key, input.start_step, input.end_step, input.max_results ?? 2500);
    res.json(points.length > 0 ? { metrics: points.map((pt) => ({ ...toApiMetric(pt), run_id: pt.runId })) } : {});
  });

  return router;
}
