import { type RequestHandler, Router } from 'express';
import type { Container } from '../container';
import { jsonBody, requireJsonContentType } from './limits';
import { permissionsRoutes } from '../modules/permissions/permissions.routes';
import { loggedModelsRoutes } from '../modules/logged-models/logged-models.routes';
import { runsRoutes } from '../modules/runs/runs.routes';
import { experimentsRoutes } from '../modules/experiments/experiments.routes';
import { artifactsRoutes } from '../modules/artifacts/artifacts.routes';
import { modelVersionsRoutes } from '../modules/model-versions/model-versions.routes';
import { registeredModelsRoutes } from '../modules/registered-models/registered-models.routes';

/**
 * Enters a module's router only for the paths it serves. Express tries every route in turn, so
 * without this a registry request would first be matched against all the tracking routes.
 * Case-insensitive, like Express's own matching.
 */
const forPaths =
  (paths: RegExp, routes: Router): RequestHandler =>
  (req, res, next) => {
    if (paths.test(req.path)) routes(req, res, next);
    else next();
  };

/** MLflow's RPCs, mounted by app.ts under /api/2.0/mlflow and /ajax-api/2.0/mlflow. */
export function mlflowRouter(c: Container): Router {
  const router = Router();
  router.use(requireJsonContentType, jsonBody(c.config.limits.jsonBodyBytes));
  router.use(forPaths(/^\/(runs|metrics)\//i, runsRoutes(c)));
  router.use(forPaths(/^\/registered-models\//i, registeredModelsRoutes(c)));
  router.use(forPaths(/^\/model-versions\//i, modelVersionsRoutes(c)));
  router.use(forPaths(/^\/experiments\//i, experimentsRoutes(c)));
  router.use(forPaths(/^\/(experiments|registered-models)\/permissions\//i, permissionsRoutes(c)));
  router.use(forPaths(/^\/logged-models(\/|$)/i, loggedModelsRoutes(c)));
  router.use(forPaths(/^\/artifacts\//i, artifactsRoutes(c)));
  return router;
}
