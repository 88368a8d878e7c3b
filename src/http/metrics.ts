import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RegistryError } from '../errors';
import type { Logger } from '../logger';
import { endpointNotFound, errorHandler } from './error-handler';
import { setSecurityHeaders } from './hygiene';

/** The counts of a pg Pool that the pool gauges read at scrape time. */
export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** What the serving gauges read at scrape time: the ONNX models loaded, their bytes, predictions admitted. */
export interface ServingStats {
  models: number;
  bytes: number;
  inFlight: number;
}

/**
 * The mount points of app.ts's routers. The ajax-api mirror is folded into /api, so one endpoint
 * has one series whichever prefix the client used.
 */
const MOUNT = /^\/(?:api|ajax-api)\/2\.0\/(mlflow-artifacts|mlflow|registry|serving)(?=[/?]|$)/i;

/** A request as the metrics saw it end: its route label, status (or 'aborted') and duration. */
export interface EndedRequest {
  route: string;
  status: number | 'aborted';
  seconds: number;
}

interface MatchedRoute {
  path: string | string[];
}

/**
 * Prometheus metrics of one container, on a registry of its own (never prom-client's global one),
 * so that several apps can live in one process (the tests build many). README "Operations" lists them.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requestSeconds: Histogram<'method' | 'route' | 'status_code'>;
  private readonly inFlight: Gauge;
  private readonly querySeconds: Histogram;
  private readonly bytesIn: Counter;
  private readonly bytesOut: Counter;
  private readonly cacheLookups: Counter<'cache' | 'result'>;
  private pool: PoolStats | undefined;
  private serving: (() => ServingStats) | undefined;
  /** Route label per matched route and mount: computed once, not on every request. */
  private readonly routeLabels = new WeakMap<MatchedRoute, Map<string, string>>();

  /** For InvalidatedCache's onLookup. */
  readonly registeredModelLookup: (hit: boolean) => void;
  /** For the token verifier's onCacheLookup. */
  readonly tokenLookup: (hit: boolean) => void;
  /** For SqlExecutor's onQuery. */
  readonly queryDone = (seconds: number): void => this.querySeconds.observe(seconds);
  readonly artifactBytesReceived = (bytes: number): void => this.bytesIn.inc(bytes);
  readonly artifactBytesSent = (bytes: number): void => this.bytesOut.inc(bytes);
  private readonly webhookAttempts = new Counter({
    name: 'registry_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry, failed.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  /** For the webhook delivery worker: one attempt ended with `outcome`. */
  readonly webhookDelivered = (outcome: string): void => this.webhookAttempts.labels(outcome).inc();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestSeconds = new Histogram({
      name: 'registry_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status code, and how long they took (its _count is the request count).',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.inFlight = new Gauge({ name: 'registry_http_requests_in_flight', help: 'HTTP requests being served.', registers });
    this.querySeconds = new Histogram({
      name: 'registry_db_query_duration_seconds',
      help: 'Statements of the SQL executor (hot paths and searches; not those Prisma sends), and how long they took.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    });
    // Read at scrape time: nothing to do per request.
    const gauge = <T>(name: string, help: string, source: () => T | undefined, read: (s: T) => number) => {
      const g: Gauge = new Gauge({
        name,
        help,
        registers,
        collect: () => {
          const s = source();
          if (s !== undefined) g.set(read(s));
        },
      });
    };
    const pool = (name: string, help: string, read: (p: PoolStats) => number) => gauge(name, help, () => this.pool, read);
    pool('registry_db_pool_connections', 'Connections the database pool holds (idle and in use).', (p) => p.totalCount);
    pool('registry_db_pool_idle_connections', 'Connections of the database pool not in use.', (p) => p.idleCount);
    pool('registry_db_pool_waiting_requests', 'Queries waiting for a connection of the database pool.', (p) => p.waitingCount);
    const serving = (name: string, help: string, read: (s: ServingStats) => number) => gauge(name, help, () => this.serving?.(), read);
    serving('registry_serving_models_loaded', 'ONNX models loaded for predictions (SERVING_MAX_MODELS bounds them).', (s) => s.models);
    serving('registry_serving_model_bytes', 'Bytes of the ONNX files of the models loaded (SERVING_MAX_MODEL_BYTES bounds them).', (s) => s.bytes);
    serving('registry_serving_predictions_in_flight', 'Predictions running or waiting for an inference thread (SERVING_MAX_QUEUE bounds them).', (s) => s.inFlight);
    this.cacheLookups = new Counter({
      name: 'registry_cache_lookups_total',
      help: 'Lookups in the in-memory caches: registered_model (registered-models/get) and token (verified bearer tokens).',
      labelNames: ['cache', 'result'],
      registers,
    });
    this.bytesIn = new Counter({ name: 'registry_artifact_received_bytes_total', help: 'Artifact bytes uploaded through the service and stored.', registers });
    this.bytesOut = new Counter({ name: 'registry_artifact_sent_bytes_total', help: 'Artifact bytes of downloads sent in full (artifact proxy and serving files).', registers });
    const hit = { registeredModel: this.cacheLookups.labels('registered_model', 'hit'), token: this.cacheLookups.labels('token', 'hit') };
    const miss = { registeredModel: this.cacheLookups.labels('registered_model', 'miss'), token: this.cacheLookups.labels('token', 'miss') };
    this.registeredModelLookup = (isHit) => (isHit ? hit.registeredModel : miss.registeredModel).inc();
    this.tokenLookup = (isHit) => (isHit ? hit.token : miss.token).inc();
  }

  watchPool(pool: PoolStats): void {
    this.pool = pool;
  }

  watchServing(read: () => ServingStats): void {
    this.serving = read;
  }

  /**
   * Counts the request as in flight and, when it is over, observes it once and hands the same
   * facts to `done` (the access log, app.ts). 'close' rather than 'finish': a response whose client
   * went away never finishes, and would stay in flight forever.
   */
  track(req: Request, res: Response, done?: (ended: EndedRequest) => void): void {
    const started = performance.now();
    this.inFlight.inc();
    res.once('close', () => {
      this.inFlight.dec();
      const ended: EndedRequest = {
        route: this.routeOf(req),
        status: res.writableFinished ? res.statusCode : 'aborted',
        seconds: (performance.now() - started) / 1000,
      };
      this.requestSeconds.observe({ method: req.method, route: ended.route, status_code: ended.status }, ended.seconds);
      done?.(ended);
    });
  }

  /**
   * The template of the route that matched (`/api/2.0/registry/models/:name/:selector/archive`),
   * never the raw path, so the series stay few; `unmatched` when no route did (404, and requests
   * refused before routing, such as 401). The mount comes from the URL: Express has already
   * restored req.baseUrl when an error answer is written.
   */
  private routeOf(req: Request): string {
    const route = (req.endpoint ?? req.route) as MatchedRoute | undefined;
    if (!route) return 'unmatched';
    const m = MOUNT.exec(req.originalUrl);
    const mount = m ? `/api/2.0/${m[1]!.toLowerCase()}` : '';
    let byMount = this.routeLabels.get(route);
    if (!byMount) this.routeLabels.set(route, (byMount = new Map<string, string>()));
    let label = byMount.get(mount);
    if (label === undefined) {
      label = (Array.isArray(route.path) ? route.path : [route.path]).map((p) => mount + String(p)).join('|');
      byMount.set(mount, label);
    }
    return label;
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * GET /metrics in Prometheus' text format; with a token, only for `Authorization: Bearer <token>`
 * (compared in constant time, on digests so that the length does not show either).
 */
export function metricsRoute(metrics: Metrics, token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (req, res) => {
    if (expected) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
        throw new RegistryError('UNAUTHENTICATED', 'Metrics need "Authorization: Bearer <METRICS_TOKEN>".');
      }
    }
    const text = await metrics.registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.registry.contentType).send(text);
  };
}

/** The app of METRICS_PORT's server: /metrics and nothing else. */
export function createMetricsApp(metrics: Metrics, token: string | undefined, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req: Request, res: Response, next: () => void) => {
    setSecurityHeaders(res);
    next();
  });
  app.get('/metrics', metricsRoute(metrics, token));
  app.use((req: Request) => endpointNotFound(req));
  app.use(errorHandler(logger));
  return app;
}
