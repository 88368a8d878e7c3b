import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Express, Request, Response } from 'express';
import { RegistryError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { answerRefusedRequests, errorHandler } from './error-handler';

/**
 * Node's request and response classes with every property that Express, body-parser and this
 * service add to them declared up front. Added later, one by one on every request, each property
 * gives the object a new hidden class, and the property accesses of Node's and Express's code
 * (shared by every request) keep missing V8's caches.
 */
class ShapedRequest extends http.IncomingMessage {
  // This service (src/http/principal.ts).
  id: string | undefined = undefined;
  principal: unknown = undefined;
  bodyBytes: number | undefined = undefined;
  // body-parser.
  body: unknown = undefined;
  _body: boolean | undefined = undefined;
  // Express and its router.
  res: unknown = undefined;
  next: unknown = undefined;
  baseUrl: string | undefined = undefined;
  originalUrl: string | undefined = undefined;
  _parsedUrl: unknown = undefined;
  _parsedOriginalUrl: unknown = undefined;
  params: unknown = undefined;
  route: unknown = undefined;
}

class ShapedResponse extends http.ServerResponse {
  // Express.
  locals: unknown = undefined;
}

export interface HttpServerOptions {
  /** Time a client has to send the request line and headers (Node's headersTimeout). */
  headersTimeoutMs?: number;
  /** Time a client has to send the body, counted from the headers, on every route but uploads; 0: unbounded. */
  bodyTimeoutMs?: number;
  /** Upload and download routes: how long no byte may move either way before the connection is cut; 0: never. */
  streamIdleTimeoutMs?: number;
  /** Where a body timeout is reported. */
  logger?: Logger;
}

/** The defaults of HTTP_HEADERS_TIMEOUT_MS, HTTP_BODY_TIMEOUT_MS and HTTP_STREAM_IDLE_TIMEOUT_MS (config.ts). */
const DEFAULT_TIMEOUTS = { headersTimeoutMs: 20_000, bodyTimeoutMs: 60_000, streamIdleTimeoutMs: 300_000 };

/**
 * The routes whose bodies (uploads) or answers (downloads) may stream for as long as bytes keep
 * moving: the artifact proxy's PUT and GET of /artifacts/<path> and its form upload
 * (modules/artifacts/artifacts.routes.ts), version uploads and serving downloads
 * (modules/serving/serving.routes.ts). Matched on the raw URL, before Express, by method.
 */
/** Which requests go to upload and download routes: the app's route table says (streamingRoutes in route-table.ts). */
export type StreamingRoutes = (method: string | undefined, url: string | undefined) => boolean;

interface ServerState {
  /** Set by drainHttpServer: every answer from now on says Connection: close. */
  draining: boolean;
}

const states = new WeakMap<Server, ServerState>();

/**
 * The body deadline of a JSON route ran out while the body was still arriving: answer 408 in
 * MLflow's error format if nothing was sent yet, and close the connection either way (the rest
 * of the body is never read).
 */
function bodyTimedOut(req: IncomingMessage, res: ServerResponse, ms: number, logger: Logger, writeError: ReturnType<typeof errorHandler>): void {
  if (req.complete || res.destroyed) return;
  logger.warn({ method: req.method, url: req.url?.split('?')[0], remote: req.socket.remoteAddress, ms }, 'request body not received within HTTP_BODY_TIMEOUT_MS; closing the connection');
  if (res.headersSent) {
    req.socket.destroy();
    return;
  }
  res.setHeader('Connection', 'close');
  const err = new RegistryError('DEADLINE_EXCEEDED', `The request body did not arrive within ${ms} ms (HTTP_BODY_TIMEOUT_MS); the connection is closed.`, { status: 408 });
  writeError(err, req as Request, res as Response, () => undefined);
}

/**
 * The HTTP server for an app (main.ts and the tests; one server per app). Express moves every
 * request and response onto its app's prototypes (app.request, app.response), and V8 gives each
 * object so moved a hidden class of its own, which no cache of property accesses then knows. Here
 * they are born on prototypes that inherit from the app's, which become the app's, and Express's
 * move finds nothing to do. Measured in instructions (callgrind) per request of the service: a
 * cached registered-models/get took 870k with Node's classes, 567k with the declared properties
 * alone, and 278k with both; a run's create + log-batch + end 4.2M, 3.7M and 2.6M.
 *
 * Timeouts: headers must arrive within headersTimeoutMs on every route. A body must arrive within
 * bodyTimeoutMs of the headers (408 otherwise), except on the upload and download routes
 * (the route table's `streams` rows, which createApp hands over as app.locals.streamingRoutes),
 * which may take as long as they need while bytes keep moving.
 */
export function createHttpServer(app: Express, options: HttpServerOptions = {}): Server {
  const { headersTimeoutMs, bodyTimeoutMs, streamIdleTimeoutMs } = { ...DEFAULT_TIMEOUTS, ...definedOnly(options) };
  const logger = options.logger ?? createLogger('silent');
  const writeError = errorHandler(logger);
  const state: ServerState = { draining: false };
  const isStreamingRoute = (app.locals.streamingRoutes as StreamingRoutes | undefined) ?? (() => false);
  class AppRequest extends ShapedRequest {}
  class AppResponse extends ShapedResponse {
    // Every answer passes here (end() and write() without it call it too).
    override writeHead(...args: unknown[]): this {
      if (state.draining) this.setHeader('Connection', 'close');
      return (super.writeHead as (...a: unknown[]) => this).apply(this, args);
    }
  }
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  app.request = AppRequest.prototype as unknown as Express['request'];
  app.response = AppResponse.prototype as unknown as Express['response'];
  const server = http.createServer(
    {
      IncomingMessage: AppRequest,
      ServerResponse: AppResponse as typeof http.ServerResponse,
      headersTimeout: headersTimeoutMs,
      // Node's whole-request deadline is off: it would cut uploads too. Bodies get theirs below, per route.
      requestTimeout: 0,
      // How often Node looks for connections past headersTimeout (30 s by default).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
    },
    (req: IncomingMessage, res: ServerResponse) => {
      if (isStreamingRoute(req.method, req.url)) {
        // No deadline, but a stalled client (or one that stopped reading) does not hold the connection forever.
        if (streamIdleTimeoutMs > 0) req.socket.setTimeout(streamIdleTimeoutMs);
      } else if (bodyTimeoutMs > 0 && hasBody(req)) {
        const timer = setTimeout(bodyTimedOut, bodyTimeoutMs, req, res, bodyTimeoutMs, logger, writeError);
        // 'close': the body was read to its end, or the connection is gone.
        req.once('close', () => clearTimeout(timer));
      }
      app(req, res);
    },
  );
  states.set(server, state);
  answerRefusedRequests(server);
  return server;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Node's own rule: a request has a body if it announces a length above 0 or a transfer coding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Graceful stop: stops accepting connections, closes the idle ones, answers every request from now
 * on (also new ones on kept-alive connections) with Connection: close, and waits for the requests
 * in flight to finish, at most `graceMs`; then cuts the connections still open. Resolves with how
 * many it had to cut.
 */
export async function drainHttpServer(server: Server, graceMs: number): Promise<{ cut: number }> {
  const state = states.get(server);
  if (state) state.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A connection whose answer went out before the drain began goes idle without closing itself.
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const timedOut = await Promise.race([closed.then(() => false), expired]);
  clearTimeout(timer);
  clearInterval(sweep);
  if (!timedOut) return { cut: 0 };
  const cut = await new Promise<number>((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));
  server.closeAllConnections();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  return { cut };
}
