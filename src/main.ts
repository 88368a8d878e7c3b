import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { createApp } from './app';
import { type Config, ConfigError, loadConfig } from './config';
import { createContainer } from './container';
import { applyMigrations } from './db/migrate';
import { startEmbeddedPostgres } from './db/embedded-postgres';
import { createHttpServer } from './http/http-server';
import { createLogger, type Logger } from './logger';
import { mintToken, readOrCreateJwtSecret } from './lib/tokens';

type Stop = () => Promise<void>;

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** Zero-config: no JWT settings → the secret generated once into DATA_DIR (every worker reads the same file). */
function withJwtSecret(config: Config, logger: Logger): { config: Config; generated: boolean } {
  if (config.jwt.secret || config.jwt.publicKey || config.jwt.jwksUrl) return { config, generated: false };
  const { secret, created } = readOrCreateJwtSecret(config.dataDir);
  if (created) logger.info({ dataDir: config.dataDir }, 'generated a JWT signing secret into DATA_DIR/jwt-secret');
  return { config: Object.freeze({ ...config, jwt: { ...config.jwt, secret } }), generated: true };
}

/** Primary only: the database (embedded if no DATABASE_URL) and its migrations. */
async function prepareDatabase(config: Config, logger: Logger, stops: Stop[]): Promise<string> {
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is not set: using embedded PostgreSQL');
    const embedded = await startEmbeddedPostgres(config.dataDir, logger);
    databaseUrl = embedded.url;
    stops.push(embedded.stop);
  }
  const applied = await applyMigrations(databaseUrl, (m) => logger.info(m));
  logger.info({ applied: applied.length }, 'database schema is up to date');
  return databaseUrl;
}

/** Builds the container and listens; returns the server and how to stop it. */
async function serve(config: Config, logger: Logger, databaseUrl: string): Promise<{ server: Server; stop: Stop }> {
  const container = await createContainer(config, logger, { databaseUrl });
  const server: Server = await new Promise((resolve) => {
    const s = createHttpServer(createApp(container)).listen(config.port, config.host, () => resolve(s));
  });
  server.requestTimeout = 0; // large artifact uploads stream for as long as they need
  return {
    server,
    async stop() {
      server.close();
      server.closeAllConnections();
      await container.dispose();
    },
  };
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
      `  export MLFLOW_TRACKING_URI=${url}\n  export MLFLOW_TRACKING_TOKEN=${token}\n\n`,
  );
}

function describeSeconds(s: number): string {
  if (s % 86_400 === 0) return `${s / 86_400} days`;
  if (s % 3600 === 0) return `${s / 3600} hours`;
  return `${s} seconds`;
}

function onSignals(handler: (signal: string) => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void handler(signal).finally(() => process.exit(0));
    });
  }
}

async function runPrimary(): Promise<void> {
  const raw = readConfig();
  const logger = createLogger(raw.logLevel);
  const stops: Stop[] = [];
  const databaseUrl = await prepareDatabase(raw, logger, stops);
  const { config, generated } = withJwtSecret(raw, logger);
  if (config.jwt.anyAudience) logger.warn("JWT_AUDIENCE=*: tokens issued for any audience (aud) are accepted, also those meant for other applications; set JWT_AUDIENCE to this service's audience");
  const runStops = async () => {
    for (const stop of stops) await stop().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
  };

  if (config.workers <= 1) {
    const { server, stop } = await serve(config, logger, databaseUrl);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ url: `http://${config.host}:${port}` }, 'registry is listening');
    printReady(config, port, generated);
    onSignals(async (signal) => {
      logger.info({ signal }, 'shutting down');
      await stop();
      await runStops();
    });
    return;
  }

  // Several workers share the port (node:cluster); the service keeps no state in the process,
  // so they behave like replicas behind a load balancer (DESIGN.md § Scale).
  let shuttingDown = false;
  const env = { DATABASE_URL: databaseUrl };
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    listening += 1;
    if (listening === config.workers) {
      logger.info({ url: `http://${config.host}:${address.port}`, workers: config.workers }, 'registry is listening');
      printReady(config, address.port, generated);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) return;
    logger.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting a new one');
    cluster.fork(env);
  });
  for (let i = 0; i < config.workers; i++) cluster.fork(env);
  onSignals(async (signal) => {
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!w || w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
    await runStops();
  });
}

async function runWorker(): Promise<void> {
  const raw = readConfig();
  const logger = createLogger(raw.logLevel);
  const { config } = withJwtSecret(raw, logger);
  const { stop } = await serve(config, logger, config.databaseUrl!);
  onSignals(stop);
}

(cluster.isPrimary ? runPrimary() : runWorker()).catch((err: unknown) => {
  process.stderr.write(`registry failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
