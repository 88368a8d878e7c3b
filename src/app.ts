import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Container } from './container';
import { authenticate } from './http/authenticate';
import { endpointNotFound, errorHandler } from './http/error-handler';
import { cors, hostGuard, setSecurityHeaders } from './http/hygiene';
import { type EndedRequest, metricsRoute } from './http/metrics';
import { readyRoute } from './http/readiness';
import { createAuthorizer } from './http/authorize';
import { type ApiArea, mountRoutes, streamingRoutes } from './http/route-table';
import { routeTable } from './routes';
import { apiDocsRouter, openApiRoute } from './http/openapi';
import { artifactErrors } from './modules/artifacts/artifacts.routes';
import { webUiRouter } from './http/web-ui';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

const API_PREFIXES = ['/api', '/ajax-api'];

/** Builds the HTTP app; never listens (main.ts and the tests do). */
export function createApp(c: Container): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', c.config.trustProxy);
  app.set('query parser', 'simple');
  // No hash of every JSON body for an ETag: MLflow's API sends none, and the serving routes set
  // their own (the version they name) and answer If-None-Match themselves.
  app.set('etag', false);
  const accessLog = c.config.accessLog && c.logger.isLevelEnabled('info');

  // The route template as in the metrics, never the URL: no query string (tokens), no names.
  const logRequest = (req: Request, { route, status, seconds }: EndedRequest) =>
    c.logger.info({ reqId: req.id, method: req.method, route, status, ms: Math.round(seconds * 10_000) / 10, user: req.principal?.subject }, 'request');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const header = req.headers['x-request-id'];
    req.id = typeof header === 'string' && header.length > 0 && header.length <= 128 ? header : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    setSecurityHeaders(res);
    c.metrics.track(req, res, accessLog ? (ended) => logRequest(req, ended) : undefined);
    next();
  });
  if (c.config.allowedHosts) app.use(hostGuard(c.config.allowedHosts));
  if (c.config.corsAllowedOrigins.length > 0) app.use(cors(c.config.corsAllowedOrigins));

  // The API's own description, public like any API reference: it holds no data.
  const routes = routeTable(c);
  // For the HTTP server, which decides a request's timeouts before Express sees it (http-server.ts).
  app.locals.streamingRoutes = streamingRoutes(routes);
  app.get('/api/openapi.json', openApiRoute(routes, version));
  app.use('/api/docs', apiDocsRouter());
  app.use(API_PREFIXES, authenticate(c.tokens));
  // The route table (src/routes.ts, docs/architecture.md): every API endpoint, per area.
  const options = { authorize: createAuthorizer(c.permissions), jsonBodyBytes: c.config.limits.jsonBodyBytes, compressionMinBytes: c.config.compressionMinBytes };
  const mount = (area: ApiArea) =>
    mountRoutes(
      routes.filter((r) => r.area === area),
      options,
    );
  app.use(['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'], mount('mlflow'));
  app.use(['/api/2.0/registry', '/ajax-api/2.0/registry'], mount('registry'));
  app.use(['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'], mount('mlflow-artifacts'), artifactErrors);
  app.use(['/api/2.0/serving', '/ajax-api/2.0/serving'], mount('serving'));
  // After the API, so that API requests do not pass these layers. /health: the process answers
  // (liveness); /ready: it can serve requests (database, migrations, artifact store), README "Operations".
  app.get('/health', (_req, res) => {
    res.type('text/plain').send('OK');
  });
  app.get('/ready', readyRoute(c.readiness));
  app.get('/version', (_req, res) => {
    res.type('text/plain').send(version);
  });
  // Only behind METRICS_TOKEN here; with METRICS_PORT on a server of its own (main.ts); with neither, not at all.
  if (c.config.metrics.token !== undefined && c.config.metrics.port === undefined) {
    app.get('/metrics', metricsRoute(c.metrics, c.config.metrics.token));
  }

  // The web UI (web/, README "Web UI") at `/`, after every API and service path.
  app.use(webUiRouter());

  app.use((req: Request) => endpointNotFound(req));
  app.use(errorHandler(c.logger));
  return app;
}
