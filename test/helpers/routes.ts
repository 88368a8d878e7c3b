import type { Router } from 'express';
import type { Container } from '../../src/container';
import { artifactsProxyRoutes, artifactsRoutes } from '../../src/modules/artifacts/artifacts.routes';
import { auditRoutes } from '../../src/modules/audit/audit.routes';
import { experimentsRoutes } from '../../src/modules/experiments/experiments.routes';
import { loggedModelsRoutes } from '../../src/modules/logged-models/logged-models.routes';
import { modelVersionsRoutes } from '../../src/modules/model-versions/model-versions.routes';
import { permissionsRoutes } from '../../src/modules/permissions/permissions.routes';
import { registeredModelsRoutes } from '../../src/modules/registered-models/registered-models.routes';
import { runsRoutes } from '../../src/modules/runs/runs.routes';
import { servingRoutes } from '../../src/modules/serving/serving.routes';

export interface RouteRow {
  method: string;
  /** Full path with Express parameters (`/api/2.0/mlflow/logged-models/:model_id`). */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/**
 * Every route the app serves, read off the module routers under the prefixes app.ts and
 * mlflow-router.ts mount them at (the /ajax-api mirror aside): a route added to a module shows up
 * here without anyone listing it.
 */
export function listRoutes(c: Container): RouteRow[] {
  const mounted: Array<[string, Router]> = [
    ...[runsRoutes, registeredModelsRoutes, modelVersionsRoutes, experimentsRoutes, permissionsRoutes, loggedModelsRoutes, artifactsRoutes].map(
      (r): [string, Router] => ['/api/2.0/mlflow', r(c)],
    ),
    ['/api/2.0/registry', servingRoutes(c)],
    ['/api/2.0/registry', auditRoutes(c)],
    ['/api/2.0/mlflow-artifacts', artifactsProxyRoutes(c)],
  ];
  const rows: RouteRow[] = [];
  for (const [prefix, router] of mounted) {
    for (const layer of router.stack as unknown as Layer[]) {
      if (!layer.route) continue;
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const method of Object.keys(layer.route.methods)) {
        for (const p of paths) rows.push({ method: method.toUpperCase(), path: `${prefix}${p}` });
      }
    }
  }
  return rows;
}
