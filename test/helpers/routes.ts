import type { Container } from '../../src/container';
import { type AnyRoute, fullPaths, type PermissionRule, permissionRules } from '../../src/http/route-table';
import { routeTable } from '../../src/routes';

export interface RouteRow {
  method: string;
  /** Full path with Express parameters (`/api/2.0/mlflow/logged-models/:model_id`). */
  path: string;
}

/** Every route the API serves, from the route table (the /ajax-api mirror aside). */
export function listRoutes(c: Container): RouteRow[] {
  return routeTable(c).flatMap((r) => fullPaths(r).map((path) => ({ method: r.method, path })));
}

/**
 * A stand-in for the container, for reading the rows as declared when tests are collected (before
 * any app starts): every property and call gives it back, so finders and handlers are built but
 * never run.
 */
const inert: object = new Proxy(function inert() {}, {
  get: (_target, prop): unknown => (prop === 'then' ? undefined : inert),
  apply: (): unknown => inert,
});

/** The table's rows as declared: read their fields, never call their finders or handlers. */
export function declaredRows(): AnyRoute[] {
  return routeTable(inert as Container);
}

/** The table's permission rules as declared (docs and tests; see permissionRules). */
export function declaredRules(): PermissionRule[] {
  return permissionRules(declaredRows());
}
