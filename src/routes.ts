import type { Container } from './container';
import { type AnyRoute, permissionRules } from './http/route-table';
import { artifactsRoutes } from './modules/artifacts/artifacts.routes';
import { auditRoutes } from './modules/audit/audit.routes';
import { experimentsRoutes } from './modules/experiments/experiments.routes';
import { gcRoutes } from './modules/gc/gc.routes';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes';
import { loggedModelsRoutes } from './modules/logged-models/logged-models.routes';
import { effectivePermissionRoutes } from './modules/permissions/effective.routes';
import { permissionsRoutes } from './modules/permissions/permissions.routes';
import { runsRoutes } from './modules/runs/runs.routes';
import { modelVersionsRoutes } from './modules/registry/model-versions.routes';
import { registeredModelsRoutes } from './modules/registry/registered-models.routes';
import { transitionRequestsRoutes } from './modules/registry/transition-requests.routes';
import { commentsRoutes } from './modules/registry/comments.routes';
import { servingRoutes } from './modules/serving/serving.routes';

/**
 * The route table of the whole service: every module's rows, merged here. app.ts mounts it; the
 * route listing, permission matrix, probe and fuzz tests read it (docs/architecture.md).
 */
export function routeTable(c: Container): AnyRoute[] {
  const rows = [
    ...runsRoutes(c),
    ...experimentsRoutes(c),
    ...artifactsRoutes(c),
    ...registeredModelsRoutes(c),
    ...modelVersionsRoutes(c),
    ...transitionRequestsRoutes(c),
    ...commentsRoutes(c),
    ...servingRoutes(c),
    ...loggedModelsRoutes(c),
    ...permissionsRoutes(c),
    ...auditRoutes(c),
    ...gcRoutes(c),
    ...webhooksRoutes(c),
  ];
  // Last: it answers from the rules of every other row (the web UI's permission-aware controls).
  return [...rows, ...effectivePermissionRoutes(c, permissionRules(rows))];
}
