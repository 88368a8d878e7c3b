import { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import type { z } from 'zod';
import { RegistryError } from '../errors';
import { untilClientLeaves } from '../lib/client-signal';
import { sendJson } from './compress';
import type { Level, ResourceType } from '../modules/permissions/permission-levels';
import { jsonBody, jsonRequest } from './limits';
import type { Principal } from './principal';
import { principalOf } from './principal';
import { parseWith, refuseUnstorableText } from './validate';

/**
 * The route table: every endpoint of the service as one row that says what it is (method, path),
 * what it takes (a zod schema and where the input comes from), what it acts on and the level that
 * needs (access), and what it does (handle). Each module exports its rows; app.ts merges them and
 * mounts them with mountRoutes; the authorization step (authorize.ts) runs from the row before the
 * handler; the permission matrix, probe and fuzz tests and the route listing read the same rows.
 * docs/architecture.md walks through adding one.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The API areas, each served under /api/2.0/<area> and mirrored under /ajax-api/2.0/<area>. */
export const API_AREAS = ['mlflow', 'registry', 'mlflow-artifacts', 'serving'] as const;
export type ApiArea = (typeof API_AREAS)[number];

/**
 * Where the schema's input comes from. `query`: the query string, or a JSON body when there is no
 * query string (MLflow's GET fallback). `params+…`: Express path parameters merged under the body
 * or query fields (a path parameter wins).
 */
export type InputFrom = 'body' | 'query' | 'params' | 'params+body' | 'params+query';

/**
 * What the request body is. `json`: parsed (MLflow's Content-Type rule for POST/PUT, the size
 * cap); `json-any-type`: parsed whatever the Content-Type; `stream`: left unread for the handler
 * (artifact bytes, multipart forms).
 */
export type BodyKind = 'json' | 'json-any-type' | 'stream';

/** A resource the row acts on, found from the validated input. */
export interface Found {
  /** The resource's id as grants name it (experiment id, registered model id). */
  id: string;
  /** How a denial names it: `id=3 (run 4f…)`, `'my-model'`. */
  what: string;
  /** For rows whose resource type depends on the input (an artifact key's owner): which it is. */
  type?: ResourceType;
  /** Nothing owns it (artifact keys outside every experiment and model): administrators only. */
  adminOnly?: boolean;
  /** For adminOnly: why, as the 403 says it to everyone else (the default names an artifact path). */
  denial?: string;
  /** What the finder read to find it, handed to the handler with `granted` so it is not read twice. */
  loaded?: unknown;
  /**
   * The levels of the caller's grants on it, when the finder read them in the resource's own
   * statement (PermissionsService.grantsColumn): the step then runs no query of its own.
   */
  grants?: readonly Level[];
}

/**
 * How the row's resource is found: `via` says it in words (the table's documentation), `find`
 * does it, answering 404 when the resource is absent (before any permission is looked at, so a
 * caller learns nothing more from a 403 than from a 404).
 */
export interface Finder<I> {
  via: string;
  /** Several for a row that acts on several resources at once (the caller needs the level on each). */
  find(input: I, p: Principal): Promise<Found | readonly Found[]>;
}

/**
 * The permission rule of a row:
 * - `token`: any valid token (creating a resource, which grants its creator MANAGE; the caller's own identity);
 * - `resource`: the caller needs `level` on the resource `on` finds; the step checks it before the
 *   handler runs. Type `owner`: the resource is whatever owns an artifact key (an experiment or a
 *   registered model; administrators only for keys outside both). `refine` says, in words, what the service checks further once it has loaded data
 *   (a stage-specific level, USE seeing only Production versions);
 * - `each`: a search or list; the service returns only the resources of `type` on which the caller
 *   holds `level` (the filter is in the SQL).
 * `admin` rows need an admin token.
 */
export type Access<I> =
  | { kind: 'token'; note: string }
  | { kind: 'admin'; note: string }
  | { kind: 'resource'; type: ResourceType | 'owner'; level: Level; on: Finder<I>; refine?: string; cases?: readonly RefinedCase[] }
  | { kind: 'each'; type: ResourceType; level: Level; note?: string };

/**
 * A level the service demands beyond the row's, in a case it tells from loaded data (a transition
 * into Production, a protected alias): listed so that the docs and the permission matrix know
 * every level an endpoint can need. `key` is appended to the row's key (`….production`).
 */
export interface RefinedCase {
  key: string;
  level: Level;
  when: string;
  /** For `owner` rows: the owner's type in this case. */
  type?: ResourceType;
}

/** What a handler gets: the validated input, the caller, and their level on the row's resource. */
export interface Call<I> {
  input: I;
  principal: Principal;
  /** The row's resource as found and the caller's level on it (`resource` rows only). */
  granted?: Found & { level: Level };
  req: Request;
  res: Response;
}

export interface Route<S extends z.ZodType = z.ZodType> {
  /** A stable name: `runs.get`. Metrics and the logs use the path; tests and docs use the key. */
  key: string;
  area: ApiArea;
  method: Method;
  /** Under the area's prefix, in Express syntax (`/runs/get`, `/logged-models/:model_id`). One or more. */
  path: string | readonly string[];
  schema: S;
  from: InputFrom;
  body?: BodyKind;
  /** A statement that may run long (searches): cancelled when the client goes away (db/sql.ts). */
  cancellable?: boolean;
  /**
   * Bytes stream in the request or the answer (uploads, downloads): the server gives the body no
   * deadline but an idle timeout instead (http-server.ts).
   */
  streams?: boolean;
  access: Access<z.output<S>>;
  /** One line for the docs: what the endpoint does. */
  summary: string;
  /** The JSON answer, or undefined when the handler has answered itself (streams, 304). */
  handle(call: Call<z.output<S>>): Promise<object | undefined> | object | undefined;
}

/** Declares a row, inferring the handler's input type from the schema. */
export function route<S extends z.ZodType>(row: Route<S>): Route<S> {
  return row;
}

/** A row as stored in the table: the handler's input type erased. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table holds rows of every input type; route() checked each
export type AnyRoute = Route<any>;

export const pathsOf = (row: AnyRoute): readonly string[] => (typeof row.path === 'string' ? [row.path] : row.path);

/** The full path of a row under /api (the ajax-api mirror aside), as the docs and tests name it. */
export const fullPaths = (row: AnyRoute): string[] => pathsOf(row).map((p) => `/api/2.0/${row.area}${p}`);

/** Express path syntax as a regular expression source: `:name` one segment, `*name` the rest. */
function pathPattern(path: string): string {
  return path
    .split(/([:*]\w+)/)
    .map((part) => (part.startsWith(':') ? '[^/?]+' : part.startsWith('*') ? '[^?]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
}

/**
 * Whether a raw request (method and URL, before Express has seen it) goes to a `streams` row, for
 * the HTTP server's timeouts. HEAD counts as GET, as in routing.
 */
export function streamingRoutes(rows: readonly AnyRoute[]): (method: string | undefined, url: string | undefined) => boolean {
  const byMethod = new Map<string, RegExp>();
  for (const method of new Set(rows.filter((r) => r.streams).map((r) => r.method))) {
    const paths = rows.filter((r) => r.streams && r.method === method).flatMap((r) => pathsOf(r).map((p) => `${r.area}${pathPattern(p)}`));
    byMethod.set(method, new RegExp(`^/(?:ajax-)?api/2\\.0/(?:${paths.join('|')})/?(?:\\?|$)`, 'i'));
  }
  return (method, url) => {
    const pattern = byMethod.get(method === 'HEAD' ? 'GET' : (method ?? ''));
    return pattern !== undefined && url !== undefined && pattern.test(url);
  };
}

/** One permission rule as the docs and the matrix test read it: a row, or a refined case of one. */
export interface PermissionRule {
  key: string;
  method: Method;
  path: string;
  type: ResourceType | 'owner';
  level: Level;
  when?: string;
}

/** Every level each `resource` row can demand: its own, then its refined cases. */
export function permissionRules(rows: readonly AnyRoute[]): PermissionRule[] {
  return rows.flatMap((row) => {
    const access = row.access;
    if (access.kind !== 'resource') return [];
    const path = fullPaths(row)[0]!;
    const base: PermissionRule = { key: row.key, method: row.method, path, type: access.type, level: access.level };
    const refined = (access.cases ?? []).map((c): PermissionRule => ({ key: `${row.key}.${c.key}`, method: row.method, path, type: c.type ?? access.type, level: c.level, when: c.when }));
    return [base, ...refined];
  });
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own way to extend its Request type
  namespace Express {
    interface Request {
      /** The route-table row this request matched. */
      endpoint?: AnyRoute;
    }
  }
}

/** The authorization step, built by the container from the permissions service (authorize.ts). */
export type Authorizer = (row: AnyRoute, input: unknown, p: Principal) => Promise<Call<unknown>['granted']>;

export interface MountOptions {
  authorize: Authorizer;
  jsonBodyBytes: number;
  /** JSON answers at least this long are compressed for clients that accept it (0: never). */
  compressionMinBytes: number;
}

function inputOf(row: AnyRoute, req: Request): unknown {
  const params = req.params as Record<string, unknown>;
  switch (row.from) {
    case 'body':
      return bodyObject(req);
    case 'query':
      return queryOrBody(req);
    case 'params':
      return { ...params };
    case 'params+body':
      return { ...bodyObject(req), ...params };
    case 'params+query':
      return { ...(queryOrBody(req) as object), ...params };
  }
}

function bodyObject(req: Request): object {
  const body: unknown = req.body;
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RegistryError('INVALID_PARAMETER_VALUE', 'The request body must be a JSON object.');
  }
  return body;
}

/** A GET's query; with no query string MLflow falls back to a JSON body. */
function queryOrBody(req: Request): unknown {
  const query = req.query as Record<string, unknown>;
  const body: unknown = req.body;
  for (const _ in query) {
    refuseUnstorableText(query);
    return query;
  }
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? body : query;
}

/** The Express handler of one row: parse, authorize, handle, answer. */
function handlerOf(row: AnyRoute, options: MountOptions): RequestHandler {
  const { authorize } = options;
  const run = async (req: Request, res: Response) => {
    const principal = principalOf(req);
    const input: unknown = parseWith(row.schema, inputOf(row, req));
    const granted = await authorize(row, input, principal);
    const answer = await row.handle({ input, principal, granted, req, res });
    if (answer !== undefined) await sendJson(req, res, answer, options.compressionMinBytes);
  };
  if (row.cancellable) {
    return (req, res, next) => {
      req.endpoint = row;
      untilClientLeaves(res, () => void run(req, res).catch(next));
    };
  }
  return (req, res, next) => {
    req.endpoint = row;
    run(req, res).catch(next);
  };
}

const isExact = (path: string) => !/[:*]/.test(path);

/**
 * One request handler per area for its rows. Exact paths (nearly all of MLflow's RPCs) are found
 * in a map by method and lower-cased path, with no Express layer per route or module: each layer a
 * request passes costs it microseconds on the hot paths. Paths with parameters go through one
 * Express router. Case-insensitive and tolerant of one trailing slash, like Express's matching.
 */
export function mountRoutes(rows: readonly AnyRoute[], options: MountOptions): RequestHandler {
  const json = jsonRequest(options.jsonBodyBytes);
  const jsonAnyType = jsonBody(options.jsonBodyBytes);
  const withBody = (row: AnyRoute, handler: RequestHandler): RequestHandler => {
    const kind = row.body ?? 'json';
    if (kind === 'stream') return handler;
    const parse = kind === 'json' ? json : jsonAnyType;
    return (req, res, next) => parse(req, res, (err?: unknown) => (err ? next(err) : handler(req, res, next)));
  };
  const exact = new Map<string, RequestHandler>();
  const patterned = Router();
  for (const row of rows) {
    const handler = withBody(row, handlerOf(row, options));
    for (const path of pathsOf(row)) {
      if (isExact(path)) {
        const key = `${row.method} ${path.toLowerCase()}`;
        if (exact.has(key)) throw new Error(`Two route-table rows for ${key}`);
        exact.set(key, handler);
      } else {
        patterned[row.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path, handler);
      }
    }
  }
  return (req: Request, res: Response, next: NextFunction) => {
    let path = req.path.toLowerCase();
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const handler = exact.get(`${req.method === 'HEAD' ? 'GET' : req.method} ${path}`);
    if (handler) handler(req, res, next);
    else patterned(req, res, next);
  };
}
