import { Router } from 'express';
import type { Container } from '../../container';
import { principalOf } from '../../http/principal';
import { parseBody, parseQuery } from '../../http/validate';
import { toApiExperimentPermission, toApiGrant, toApiModelPermission } from './permissions.mapper';
import * as S from './permissions.schemas';

/** Permission management, MLflow-compatible (mlflow-api.md §6.3) plus groups and listing. */
export function permissionsRoutes(c: Container): Router {
  const router = Router();
  const grants = c.grants;
  const exp = (experimentId: string) => ({ type: 'experiment' as const, experimentId });
  const model = (name: string) => ({ type: 'registered_model' as const, name });

  router.post('/experiments/permissions/create', async (req, res) => {
    const i = parseBody(S.ExperimentGrantWithLevel, req);
    const g = await grants.create(principalOf(req), exp(i.experiment_id), i, i.permission);
    res.json({ experiment_permission: toApiExperimentPermission(i.experiment_id, g) });
  });
  router.get('/experiments/permissions/get', async (req, res) => {
    const i = parseQuery(S.ExperimentGrant, req);
    res.json({ experiment_permission: toApiExperimentPermission(i.experiment_id, await grants.get(principalOf(req), exp(i.experiment_id), i)) });
  });
  router.patch('/experiments/permissions/update', async (req, res) => {
    const i = parseBody(S.ExperimentGrantWithLevel, req);
    await grants.update(principalOf(req), exp(i.experiment_id), i, i.permission);
    res.json({});
  });
  router.delete('/experiments/permissions/delete', async (req, res) => {
    const i = parseBody(S.ExperimentGrant, req);
    await grants.delete(principalOf(req), exp(i.experiment_id), i);
    res.json({});
  });
  router.get('/experiments/permissions/list', async (req, res) => {
    const i = parseQuery(S.ExperimentRef, req);
    const list = await grants.list(principalOf(req), exp(i.experiment_id));
    res.json(list.length > 0 ? { permissions: list.map(toApiGrant) } : {});
  });

  router.post('/registered-models/permissions/create', async (req, res) => {
    const i = parseBody(S.ModelGrantWithLevel, req);
    const g = await grants.create(principalOf(req), model(i.name), i, i.permission);
    res.json({ registered_model_permission: toApiModelPermission(i.name, g) });
  });
  router.get('/registered-models/permissions/get', async (req, res) => {
    const i = parseQuery(S.ModelGrant, req);
    res.json({ registered_model_permission: toApiModelPermission(i.name, await grants.get(principalOf(req), model(i.name), i)) });
  });
  router.patch('/registered-models/permissions/update', async (req, res) => {
    const i = parseBody(S.ModelGrantWithLevel, req);
    await grants.update(principalOf(req), model(i.name), i, i.permission);
    res.json({});
  });
  router.delete('/registered-models/permissions/delete', async (req, res) => {
    const i = parseBody(S.ModelGrant, req);
    await grants.delete(principalOf(req), model(i.name), i);
    res.json({});
  });
  router.get('/registered-models/permissions/list', async (req, res) => {
    const i = parseQuery(S.ModelRef, req);
    const list = await grants.list(principalOf(req), model(i.name));
    res.json(list.length > 0 ? { permissions: list.map(toApiGrant) } : {});
  });

  return router;
}
