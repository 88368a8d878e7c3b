import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openApiPath } from '../../src/http/openapi';
import { fullPaths } from '../../src/http/route-table';
import { routeTable } from '../../src/routes';
import { startTestApp, type TestApp } from '../helpers/test-app';

const run = promisify(execFile);

let t: TestApp;
// The document as JSON: read field by field below, like any response body.
interface Operation {
  operationId: string;
  'x-required-permission': Record<string, unknown>;
  [field: string]: unknown;
}
let doc: { paths: Record<string, Record<string, Operation>> };
/** An operation of the document, as parsed JSON (supertest's body is untyped). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON document, read by path
const op = (p: string, method: string): any => doc.paths[p]![method];
beforeAll(async () => {
  t = await startTestApp();
  doc = (
    await t.http
      .get('/api/openapi.json')
      .expect(200)
      .expect('Content-Type', /application\/json/)
  ).body;
});
afterAll(async () => {
  await t.close();
});

it('is served without a token and is a valid OpenAPI 3.1 document', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    await fs.writeFile(file, JSON.stringify(doc));
    // The validator is an ES module, which jest's CommonJS cannot load on Node 20: its own CLI checks the file.
    const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    const { stdout } = await run(process.execPath, [cli, file]);
    expect(JSON.parse(stdout.slice(stdout.indexOf('{')))).toMatchObject({ valid: true });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

it('has an operation for every row and path of the route table, with its permission rule, and nothing else', () => {
  const expected = routeTable(t.container).flatMap((row) =>
    fullPaths(row).map((p) => {
      const access = row.access;
      return { route: `${row.method} ${openApiPath(p)}`, kind: access.kind, level: access.kind === 'resource' || access.kind === 'each' ? access.level : undefined };
    }),
  );
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${p}`, kind: op['x-required-permission'].kind, level: op['x-required-permission'].level })),
  );
  const byRoute = (a: { route: string }, b: { route: string }) => a.route.localeCompare(b.route);
  expect(documented.sort(byRoute)).toEqual(expected.sort(byRoute));
});

it('documents inputs from the same schemas the service validates with', () => {
  const logBatch = op('/api/2.0/mlflow/runs/log-batch', 'post');
  const body = logBatch.requestBody.content['application/json'].schema;
  expect(Object.keys(body.properties.metrics.items.properties)).toEqual(expect.arrayContaining(['key', 'value', 'timestamp', 'step']));
  expect(body.properties).toHaveProperty('run_id');
  const bulk = op('/api/2.0/mlflow/metrics/get-history-bulk-interval', 'get');
  expect(bulk.parameters.find((p: { name: string }) => p.name === 'run_ids').schema.maxItems).toBeGreaterThan(0);
  const get = op('/api/2.0/mlflow/runs/get', 'get');
  expect(get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['query:run_id', 'query:run_uuid']));
  const file = op('/api/2.0/mlflow-artifacts/artifacts/{path}', 'put');
  expect(file.parameters).toEqual([expect.objectContaining({ name: 'path', in: 'path', required: true })]);
  expect(file.requestBody.content).toHaveProperty('application/octet-stream');
  expect(get.responses['403'].description).toContain('PERMISSION_DENIED');
});

it('serves a browsable reference whose assets come from this server', async () => {
  await t.http.get('/api/docs').expect(301).expect('Location', '/api/docs/');
  const page = await t.http.get('/api/docs/').expect(200).expect('Content-Type', /html/);
  expect(page.text).not.toMatch(/https?:\/\//);
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(sources.length).toBeGreaterThanOrEqual(3);
  for (const src of sources) await t.http.get(`/api/docs/${src}`).expect(200);
  await t.http.get('/api/docs/assets/no-such-file.js').expect(404);
});
