import { Router } from 'express';
import type { Container } from '../../container';
import { principalOf } from '../../http/principal';
import { pageBody } from '../../http/wire';
import { parseBody, parseQuery } from '../../http/validate';
import { toApiLoggedModel } from './logged-models.mapper';
import * as S from './logged-models.schemas';

/** MLflow 3 logged-model RPCs (mlflow-api.md §1.4), used by 3.x log_model and register_model. */
export function loggedModelsRoutes(c: Container): Router {
  const router = Router();
  const models = c.loggedModels;

  router.post('/logged-models', async (req, res) => {
    res.json({ model: toApiLoggedModel(await models.create(principalOf(req), parseBody(S.CreateLoggedModel, req))) });
  });

  router.post('/logged-models/search', async (req, res) => {
    const i = parseBody(S.SearchLoggedModels, req);
    const page = await models.search(principalOf(req), {
      experimentIds: i.experiment_ids,
      filter: i.filter,
      datasets: i.datasets,
      orderBy: i.order_by,
      maxResults: i.max_results,
      pageToken: i.page_token,
    });
    res.json(pageBody('models', page, toApiLoggedModel));
  });

  router.get('/logged-models/:model_id', async (req, res) => {
    res.json({ model: toApiLoggedModel(await models.get(principalOf(req), req.params.model_id)) });
  });

  router.patch('/logged-models/:model_id', async (req, res) => {
    const i = parseBody(S.FinalizeLoggedModel, req);
    res.json({ model: toApiLoggedModel(await models.finalize(principalOf(req), req.params.model_id, i.status)) });
  });

  router.delete('/logged-models/:model_id', async (req, res) => {
    await models.delete(principalOf(req), req.params.model_id);
    res.json({});
  });

  router.patch('/logged-models/:model_id/tags', async (req, res) => {
    const i = parseBody(S.SetLoggedModelTags, req);
    res.json({ model: toApiLoggedModel(await models.setTags(principalOf(req), req.params.model_id, i.tags)) });
  });

  router.delete('/logged-models/:model_id/tags/:tag_key', async (req, res) => {
    await models.deleteTag(principalOf(req), req.params.model_id, req.params.tag_key);
    res.json({});
  });

  router.post('/logged-models/:model_id/params', async (req, res) => {
    const i = parseBody(S.LogLoggedModelParams, req);
    await models.logParams(principalOf(req), req.params.model_id, i.params);
    res.json({});
  });

  router.get('/logged-models/:model_id/artifacts/directories', async (req, res) => {
    const i = parseQuery(S.ListDirectories, req);
    const listing = await models.listArtifacts(principalOf(req), req.params.model_id, i.artifact_directory_path);
    const files = listing.entries.map((e) => ({
      path: listing.path ? `${listing.path}/${e.name}` : e.name,
      is_dir: e.isDir,
      ...(e.isDir || e.size === undefined ? {} : { file_size: e.size }),
    }));
    res.json({ root_uri: listing.rootUri, ...(files.length > 0 ? { files } : {}) });
  });

  return router;
}
