import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { endpointNotFound } from './error-handler';
import { EXAMPLE_VALUES, EXAMPLES, NEEDS, renderExample, type RouteExample } from './openapi-examples';
import { type AnyRoute, fullPaths } from './route-table';

/**
 * The OpenAPI 3.1 document of the API, built from the route table: each row's zod schema (the one
 * the service validates with) as its parameters or request body, its access rule as
 * `x-required-permission`, and MLflow's error answers. Nothing is written by hand per endpoint, so
 * the document cannot drift from what the service does.
 */

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[] };

const ERROR_BODY = {
  type: 'object',
  required: ['error_code', 'message'],
  properties: {
    error_code: { type: 'string', description: "MLflow's error code (databricks.proto)", examples: ['INVALID_PARAMETER_VALUE'] },
    message: { type: 'string' },
  },
};

/** The answers every row may give besides its success, with the error codes MLflow uses for each. */
const ERRORS: Record<string, { description: string; codes: string[] }> = {
  '400': { description: 'The input is invalid.', codes: ['INVALID_PARAMETER_VALUE', 'BAD_REQUEST', 'RESOURCE_ALREADY_EXISTS', 'INVALID_STATE'] },
  '401': { description: 'No valid bearer token.', codes: ['UNAUTHENTICATED'] },
  '403': { description: 'The caller lacks the level the operation needs (x-required-permission).', codes: ['PERMISSION_DENIED'] },
  '404': { description: 'The resource does not exist.', codes: ['RESOURCE_DOES_NOT_EXIST'] },
  '503': { description: 'The database or the artifact store is unavailable; retry after Retry-After seconds.', codes: ['TEMPORARILY_UNAVAILABLE'] },
};

/** JSON Schema (2020-12, OpenAPI 3.1's dialect) of what a client sends: the schema's input side. */
function inputSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** Express path syntax to OpenAPI's: `:name` and `*path` become `{name}`, `{path}`. */
export const openApiPath = (p: string) => p.replace(/[:*](\w+)/g, '{$1}');
const pathParams = (p: string) => [...p.matchAll(/([:*])(\w+)/g)].map((m) => ({ name: m[2]!, wildcard: m[1] === '*' }));

function permissionOf(row: AnyRoute): Record<string, unknown> {
  const a = row.access;
  switch (a.kind) {
    case 'token':
    case 'admin':
      return { kind: a.kind, note: a.note };
    case 'each':
      return { kind: 'each', resource: a.type, level: a.level, ...(a.note ? { note: a.note } : {}) };
    case 'resource':
      return {
        kind: 'resource',
        resource: a.type,
        level: a.level,
        via: a.on.via,
        ...(a.refine ? { refine: a.refine } : {}),
        ...(a.cases ? { cases: a.cases.map((c) => ({ level: c.level, when: c.when })) } : {}),
      };
  }
}

function describePermission(row: AnyRoute): string {
  const a = row.access;
  switch (a.kind) {
    case 'token':
      return `Any valid token (${a.note}).`;
    case 'admin':
      return `Administrators only (${a.note}).`;
    case 'each':
      return `Returns only the ${a.type.replace('_', ' ')}s on which the caller holds ${a.level}.`;
    case 'resource': {
      const cases = (a.cases ?? []).map((c) => ` ${c.level} when ${c.when}.`).join('');
      return `Needs ${a.level} on ${a.on.via}.${a.refine ? ` Also: ${a.refine}.` : ''}${cases}`;
    }
  }
}

/** A media type's `examples` holding the row's example (named `example`, with its summary). */
const shownExample = (example: RouteExample, value: unknown) => ({ examples: { example: { summary: example.summary, value } } });

/** The request body of the example, as a media type of the document. */
function exampleContent(example: RouteExample): Record<string, unknown> | undefined {
  const named = (value: unknown) => shownExample(example, value);
  if (example.files) {
    return {
      'multipart/form-data': {
        schema: { type: 'object', properties: { file: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
        ...named({ file: example.files.map((f) => f.text) }),
      },
    };
  }
  if (example.bytes) return { [example.bytes.type]: { schema: {}, ...named(example.bytes.text) } };
  if (example.body !== undefined) return { 'application/json': { schema: {}, ...named(example.body) } };
  return undefined;
}

/** How the description states an example: what it does, what it assumes, what it answers. */
function describeExample(example: RouteExample): string {
  const files = example.files ? ` Files: ${example.files.map((f) => f.name).join(', ')}.` : '';
  const needs = example.needs?.length ? ` It assumes ${example.needs.map((n) => renderExample({ summary: NEEDS[n] }, EXAMPLE_VALUES).summary).join('; ')}.` : '';
  return `Example: ${example.summary}${files}${needs} Answers ${example.status ?? 200}.`;
}

function operation(row: AnyRoute, path: string, operationId: string, example: RouteExample | undefined): Record<string, unknown> {
  const schema = inputSchema(row.schema as z.ZodType);
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const inPath = pathParams(path);
  const parameters: unknown[] = inPath.map((p) => ({
    name: p.name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(p.wildcard ? { description: 'A path: may contain slashes.' } : {}),
    ...(example?.params?.[p.name] !== undefined ? { example: example.params[p.name] } : {}),
  }));
  const rest: JsonSchema = { ...schema, properties: { ...properties } };
  for (const p of inPath) delete rest.properties![p.name];
  rest.required = [...required].filter((n) => !inPath.some((p) => p.name === n));
  if (rest.required.length === 0) delete rest.required;
  const fromQuery = row.from === 'query' || row.from === 'params+query';
  if (fromQuery) {
    for (const [name, property] of Object.entries(rest.properties!)) {
      parameters.push({
        name,
        in: 'query',
        required: required.has(name),
        schema: property,
        ...(property.type === 'array' ? { style: 'form', explode: true } : {}),
        ...(example?.query?.[name] !== undefined ? { example: example.query[name] } : {}),
      });
    }
  }
  const hasJsonBody = (row.from === 'body' || row.from === 'params+body') && row.body !== 'stream';
  // A JSON body has the row's schema; a stream's media type is its example's (bytes, a form, JSON).
  const content = hasJsonBody
    ? { 'application/json': { schema: rest, ...(example?.body !== undefined ? shownExample(example, example.body) : {}) } }
    : row.body === 'stream' && example
      ? exampleContent(example)
      : undefined;
  const requestBody = content ? { required: true, content } : undefined;
  const status = String(example?.status ?? 200);
  const errors = Object.entries(ERRORS).filter(([status]) => (status === '403' ? row.access.kind === 'resource' || row.access.kind === 'admin' : true));
  return {
    operationId,
    summary: row.summary,
    description: `${describePermission(row)}${example ? `\n\n${describeExample(example)}` : ''}\n\nAlso served under /ajax-api/2.0/${row.area}.`,
    tags: [row.key.split('.')[0]],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    'x-required-permission': permissionOf(row),
    responses: {
      [status]: { description: 'Success: the JSON object MLflow answers, or the bytes asked for.' },
      ...Object.fromEntries(
        errors.map(([status, e]) => [
          status,
          { description: `${e.description} error_code: ${e.codes.join(', ')}.`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}

export function openApiDocument(rows: readonly AnyRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const row of rows) {
    fullPaths(row).forEach((full, i) => {
      const key = openApiPath(full);
      // The example goes on the path it is written for (a row's paths differ in their parameters).
      const example = EXAMPLES[row.key];
      const shown = example && (example.path ?? 0) === i ? renderExample(example, EXAMPLE_VALUES) : undefined;
      (paths[key] ??= {})[row.method.toLowerCase()] = operation(row, full, i === 0 ? row.key : `${row.key}.${i + 1}`, shown);
    });
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Registry',
      version,
      description:
        'An MLflow-compatible tracking server and model registry. Every operation takes a JWT bearer token; `x-required-permission` says what the caller needs. Errors are MLflow\'s `{"error_code", "message"}`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: ERROR_BODY },
    },
  };
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Registry API</title>
<link rel="stylesheet" href="assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="assets/swagger-ui-bundle.js"></script>
<script src="init.js"></script>
</body>
</html>
`;

// In a file of its own, not inline: the security headers' Content-Security-Policy allows no inline script.
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '../openapi.json', dom_id: '#reference', deepLinking: true, persistAuthorization: false });\n`;

/** GET /api/openapi.json: the document, built once. Public, like any API reference: it holds no data. */
export function openApiRoute(rows: readonly AnyRoute[], version: string): RequestHandler {
  let document: string | undefined;
  return (_req, res) => {
    document ??= JSON.stringify(openApiDocument(rows, version));
    res.type('application/json').send(document);
  };
}

/**
 * The browsable reference, mounted at /api/docs: Swagger UI from the swagger-ui-dist package
 * (nothing from a CDN), reading /api/openapi.json.
 */
export function apiDocsRouter(): Router {
  const router = express.Router({ strict: true });
  // The page and its assets load scripts, styles and the document from this origin only; Swagger UI
  // sets inline styles and draws images from data: URLs.
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'");
    next();
  });
  router.get('/', (req, res) => {
    // Relative asset URLs need the trailing slash.
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) return res.redirect(301, '/api/docs/');
    res.type('html').send(DOCS_PAGE);
  });
  router.get('/init.js', (_req, res) => {
    res.type('application/javascript').send(DOCS_INIT);
  });
  router.use('/assets', express.static(path.dirname(require.resolve('swagger-ui-dist/package.json')), { index: false }));
  // Nothing else here: a 404 now, not the API's 401 further on.
  router.use((req) => endpointNotFound(req));
  return router;
}
