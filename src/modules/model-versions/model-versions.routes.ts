import { Router } from 'express';
import type { Container } from '../../container';
import { principalOf } from '../../http/principal';
import { pageBody } from '../../http/wire';
import { parseBody, parseQuery } from '../../http/validate';
import { toApiModelVersion } from './model-versions.mapper';
import * as S from './model-versions.schemas';

/** MLflow's model-version RPCs (mlflow-api.md §1.6), one route per RPC. */
export function modelVersionsRoutes(c: Container): Router {
  const router = Router();
  const versions = c.modelVersions;

  router.post('/model-versions/create', async (req, res) => {
    const input = parseBody(S.CreateModelVersion, req);
    const version = await versions.create(principalOf(req), {
      name: input.name,
      source: input.source,
      runId: input.run_id,
      runLink: input.run_link,
      description: input.description,
      loggedModelId: input.model_id,
      tags: input.tags,
    });
    res.json({ model_version: toApiModelVersion(version) });
  });

  router.get('/model-versions/get', async (req, res) => {
    const input = parseQuery(S.GetModelVersion, req);
    const version = await versions.get(principalOf(req), input.name, input.version);
    res.json({ model_version: toApiModelVersion(version) });
  });

  router.patch('/model-versions/update', async (req, res) => {
    const input = parseBody(S.UpdateModelVersion, req);
    const version = await versions.update(principalOf(req), input.name, input.version, input.description);
    res.json({ model_version: toApiModelVersion(version) });
  });

  router.delete('/model-versions/delete', async (req, res) => {
    const input = parseBody(S.DeleteModelVersion, req);
    await versions.delete(principalOf(req), input.name, input.version);
    res.json({});
  });

  router.get('/model-versions/search', async (req, res) => {
    const input = parseQuery(S.SearchModelVersions, req);
    const page = await versions.searchVersions(principalOf(req), {
      filter: input.filter,
      orderBy: input.order_by,
      maxResults: input.max_results,
      pageToken: input.page_token,
    });
    res.json(pageBody('model_versions', page, toApiModelVersion));
  });

  router.post('/model-versions/transition-stage', async (req, res) => {
    const input = parseBody(S.TransitionModelVersionStage, req);
    const version = await versions.transitionStage(
      principalOf(req),
      input.name,
      input.version,
      input.stage,
      input.archive_existing_versions,
    );
    res.json({ model_version: toApiModelVersion(version) });
  });

  router.get('/model-versions/get-download-uri', async (req, res) => {
    const input = parseQuery(S.GetModelVersionDownloadUri, req);
    const uri = await versions.getDownloadUri(principalOf(req), input.name, input.version);
    res.json({ artifact_uri: uri });
  });

  router.post('/model-versions/set-tag', async (req, res) => {
    const input = parseBody(S.SetModelVersionTag, req);
    await versions.setTag(principalOf(req), input.name, input.version, { key: input.key, value: input.value });
    res.json({});
  });

  router.delete('/model-versions/delete-tag', async (req, res) => {
    const input = parseBody(S.DeleteModelVersionTag, req);
    await versions.deleteTag(principalOf(req), input.name, input.version, input.key);
    res.json({});
  });

  return router;
}
