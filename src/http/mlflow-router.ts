import { Router } from 'express';
import type { Container } from '../container';
import { jsonBody, requireJsonContentType } from './limits';
import { permissionsRoutes } from '../modules/permissions/permissions.routes';
import { loggedModelsRoutes } from '../modules/logged-models/logged-models.routes';
import { runsRoutes } from '../modules/runs/runs.routes';
import { experimentsRoutes } from '../modules/experiments/experiments.routes';
import { artifactsRoutes } from '../modules/artifacts/artifacts.routes';
import { modelVersionsRoutes } from '../modules/model-versions/model-versions.routes';
import { registeredModelsRoutes } from '../modules/registered-models/registered-models.routes';

/** MLflow's RPCs, mounted by app.ts under /api/2.0/mlflow and /ajax-api/2.0/mlflow. */
export function mlflowRouter(c: Container): Router {
  const router = Router();
  router.use(requireJsonContentType, jsonBody(c.config.limits.jsonBodyBytes));
  router.use(experimentsRoutes(c));
  router.use(runsRoutes(c));
  router.use(permissionsRoutes(c));
  router.use(loggedModelsRoutes(c));
  router.use(artifactsRoutes(c));
  router.use(registeredModelsRoutes(c));
  router.use(modelVersionsRoutes(c));
  return router;
}
