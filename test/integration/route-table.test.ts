import type { Express } from 'express';
import { createApp } from '../../src/app';
import { EXPERIMENT_LEVELS } from '../../src/modules/permissions/permission-levels';
import { fullPaths, permissionRules } from '../../src/http/route-table';
import { routeTable } from '../../src/routes';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { bearer } from '../helpers/tokens';

/**
 * The route table is the service's one list of endpoints: no endpoint answers without a row,
 * no row lacks an endpoint, and every row says what it needs.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

/**
 * The endpoints outside the API, and so outside the table: probes, metrics, and the API's own
 * description (/api/openapi.json, and the reference's page and script under /api/docs).
 */
const OUTSIDE_THE_TABLE = ['GET /health', 'GET /ready', 'GET /version', 'GET /metrics', 'GET /api/openapi.json', 'GET /', 'GET /init.js'];

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route an Express router of the app holds, nested routers included. */
function expressRoutes(stack: readonly Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      return Object.keys(layer.route.methods).flatMap((m) => paths.map((p) => `${m.toUpperCase()} ${p}`));
    }
    return layer.handle?.stack ? expressRoutes(layer.handle.stack) : [];
  });
}

/** A concrete URL for a row's path: parameters and wildcards filled with placeholders. */
const concrete = (path: string) => path.replace(/:(\w+)/g, 'placeholder-$1').replace(/\*\w+/g, '1/placeholder/artifacts/f');

it('serves no endpoint that has no row', () => {
  const app = createApp(t.container) as Express & { router: { stack: Layer[] } };
  expect(expressRoutes(app.router.stack).filter((r) => !OUTSIDE_THE_TABLE.includes(r))).toEqual([]);
});

it('answers every row at every path it names (never ENDPOINT_NOT_FOUND)', async () => {
  const unanswered: string[] = [];
  for (const row of routeTable(t.container)) {
    for (const path of fullPaths(row)) {
      for (const prefix of ['/api', '/ajax-api']) {
        const url = prefix + concrete(path).slice('/api'.length);
        const res = await t.http[row.method.toLowerCase() as 'get'](url).set(bearer(t.as().token)).set('Content-Type', 'application/json').send('{}');
        if (res.status === 404 && res.body?.error_code === 'ENDPOINT_NOT_FOUND') unanswered.push(`${row.method} ${url}`);
      }
    }
  }
  expect(unanswered).toEqual([]);
});

it('has one row per method and path, each with a unique key, a summary and an access rule', () => {
  const rows = routeTable(t.container);
  const keys = rows.map((r) => r.key);
  expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  const routes = rows.flatMap((r) => fullPaths(r).map((p) => `${r.method} ${p.toLowerCase()}`));
  expect(routes.filter((k, i) => routes.indexOf(k) !== i)).toEqual([]);
  expect(rows.filter((r) => r.summary.trim() === '').map((r) => r.key)).toEqual([]);
});

it('names only levels that exist for the resource type', () => {
  const wrong = permissionRules(routeTable(t.container)).filter((r) => r.type === 'experiment' && !EXPERIMENT_LEVELS.includes(r.level));
  expect(wrong).toEqual([]);
});
