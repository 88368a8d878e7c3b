import { type Request, type Response, Router } from 'express';
import type { Container } from '../../container';
import { principalOf } from '../../http/principal';
import { pageBody } from '../../http/wire';
import { parseBody, parseQuery } from '../../http/validate';
import { toApiExperiment } from './experiments.mapper';
import * as S from './experiments.schemas';

/** MLflow's experiment RPCs (mlflow-api.md §1.1). */
export function experimentsRoutes(c: Container): Router {
  const router = Router();
  const experiments = c.experiments;

  router.post('/experiments/create', async (req, res) => {
    const input = parseBody(S.CreateExperiment, req);
    res.json({ experiment_id: await experiments.create(principalOf(req), input) });
  });

  router.get('/experiments/get', async (req, res) => {
    const input = parseQuery(S.GetExperiment, req);
    res.json({ experiment: toApiExperiment(await experiments.get(principalOf(req), input.experiment_id)) });
  });

  router.get('/experiments/get-by-name', async (req, res) => {
    const input = parseQuery(S.GetExperimentByName, req);
    res.json({ experiment: toApiExperiment(await experiments.getByName(principalOf(req), input.experiment_name)) });
  });

  const search = async (input: S.SearchExperimentsInput, req: Request, res: Response) => {
    const page = await experiments.search(principalOf(req), {
      filter: input.filter,
      orderBy: input.order_by ?? [],
      maxResults: input.max_results ?? 1000,
      pageToken: input.page_token,
      viewType: input.view_type,
    });
    res.json(pageBody('experiments', page, toApiExperiment));
  };
  router.post('/experiments/search', (req, res) => search(parseBody(S.SearchExperiments, req), req, res));
  router.get('/experiments/search', (req, res) => search(parseQuery(S.SearchExperiments, req), req, res));

  router.post('/experiments/update', async (req, res) => {
    const input = parseBody(S.UpdateExperiment, req);
    await experiments.rename(principalOf(req), input.experiment_id, input.new_name);
    res.json({});
  });

  router.post('/experiments/delete', async (req, res) => {
    const input = parseBody(S.DeleteExperiment, req);
    await experiments.delete(principalOf(req), input.experiment_id);
    res.json({});
  });

  router.post('/experiments/restore', async (req, res) => {
    const input = parseBody(S.RestoreExperiment, req);
    await experiments.restore(principalOf(req), input.experiment_id);
    res.json({});
  });

  router.post('/experiments/set-experiment-tag', async (req, res) => {
    const input = parseBody(S.SetExperimentTag, req);
    await experiments.setTag(principalOf(req), input.experiment_id, input.key, input.value);
    res.json({});
  });

  router.post('/experiments/delete-experiment-tag', async (req, res) => {
    const input = parseBody(S.DeleteExperimentTag, req);
    await experiments.deleteTag(principalOf(req), input.experiment_id, input.key);
    res.json({});
  });

  return router;
}
