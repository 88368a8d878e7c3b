import { type Request, type Response, Router } from 'express';
import type { Container } from '../../container';
import { principalOf } from '../../http/principal';
import { pageBody } from '../../http/wire';
import { parseBody, parseQuery } from '../../http/validate';
import { toApiModelVersion } from '../model-versions/model-versions.mapper';
import { toApiRegisteredModel } from './registered-models.mapper';
import * as S from './registered-models.schemas';

/** MLflow's registered-model RPCs (mlflow-api.md §1.5), one route per RPC. */
export function registeredModelsRoutes(c: Container): Router {
  const router = Router();
  const models = c.registeredModels;

  router.post('/registered-models/create', async (req, res) => {
    const input = parseBody(S.CreateRegisteredModel, req);
    const model = await models.create(principalOf(req), input);
    res.json({ registered_model: toApiRegisteredModel(model) });
  });

  router.get('/registered-models/get', async (req, res) => {
    const input = parseQuery(S.GetRegisteredModel, req);
    const model = await models.get(principalOf(req), input.name);
    res.json({ registered_model: toApiRegisteredModel(model) });
  });

  router.post('/registered-models/rename', async (req, res) => {
    const input = parseBody(S.RenameRegisteredModel, req);
    const model = await models.rename(principalOf(req), input.name, input.new_name);
    res.json({ registered_model: toApiRegisteredModel(model) });
  });

  router.patch('/registered-models/update', async (req, res) => {
    const input = parseBody(S.UpdateRegisteredModel, req);
    const model = await models.update(principalOf(req), input.name, input.description);
    res.json({ registered_model: toApiRegisteredModel(model) });
  });

  router.delete('/registered-models/delete', async (req, res) => {
    const input = parseBody(S.DeleteRegisteredModel, req);
    await models.delete(principalOf(req), input.name);
    res.json({});
  });

  router.get('/registered-models/search', async (req, res) => {
    const input = parseQuery(S.SearchRegisteredModels, req);
    const page = await models.searchModels(principalOf(req), {
      filter: input.filter,
      orderBy: input.order_by,
      maxResults: input.max_results,
      pageToken: input.page_token,
    });
    res.json(pageBody('registered_models', page, toApiRegisteredModel));
  });

  // The Python client uses POST (the proto's first binding); GET is the second.
  const getLatestVersions = async (input: { name: string; stages: string[] }, req: Request, res: Response) => {
    const versions = await models.getLatestVersions(principalOf(req), input.name, input.stages);
    res.json(versions.length > 0 ? { model_versions: versions.map(toApiModelVersion) } : {});
  };
  router.post('/registered-models/get-latest-versions', (req, res) =>
    getLatestVersions(parseBody(S.GetLatestVersions, req), req, res),
  );
  router.get('/registered-models/get-latest-versions', (req, res) =>
    getLatestVersions(parseQuery(S.GetLatestVersions, req), req, res),
  );

  router.post('/registered-models/set-tag', async (req, res) => {
    const input = parseBody(S.SetRegisteredModelTag, req);
    await models.setTag(principalOf(req), input.name, { key: input.key, value: input.value });
    res.json({});
  });

  router.delete('/registered-models/delete-tag', async (req, res) => {
    const input = parseBody(S.DeleteRegisteredModelTag, req);
    await models.deleteTag(principalOf(req), input.name, input.key);
    res.json({});
  });

  router.post('/registered-models/alias', async (req, res) => {
    const input = parseBody(S.SetRegisteredModelAlias, req);
    await models.setAlias(principalOf(req), input.name, input.alias, input.version);
    res.json({});
  });

  router.delete('/registered-models/alias', async (req, res) => {
    const input = parseBody(S.DeleteRegisteredModelAlias, req);
    await models.deleteAlias(principalOf(req), input.name, input.alias);
    res.json({});
  });

  router.get('/registered-models/alias', async (req, res) => {
    const input = parseQuery(S.GetModelVersionByAlias, req);
    const version = await c.modelVersions.getByAlias(principalOf(req), input.name, input.alias);
    res.json({ model_version: toApiModelVersion(version) });
  });

  return router;
}
