import type { Server } from 'node:http';
import { createApp } from './app';
import { type Config, ConfigError, loadConfig } from './config';
import { createContainer } from './container';
import { applyMigrations } from './db/migrate';
import { startEmbeddedPostgres } from './db/embedded-postgres';
import { createLogger } from './logger';
import { mintToken, readOrCreateJwtSecret } from './lib/tokens';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const stops: Array<() => Promise<void>> = [];

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is not set: using embedded PostgreSQL');
    const embedded = await startEmbeddedPostgres(config.dataDir, logger);
    databaseUrl = embedded.url;
    stops.push(embedded.stop);
  }
  const applied = await applyMigrations(databaseUrl, (m) => logger.info(m));
  logger.info({ applied: applied.length }, 'database schema is up to date');

  let zeroConfigToken: string | undefined;
  if (!config.jwt.secret && !config.jwt.publicKey) {
    const { secret, created } = readOrCreateJwtSecret(config.dataDir);
    config = Object.freeze({ ...config, jwt: { ...config.jwt, secret } });
    if (created) logger.info({ dataDir: config.dataDir }, 'generated a JWT signing secret into DATA_DIR/jwt-secret');
    zeroConfigToken = mintToken({
      secret,
      subject: 'admin',
      admin: true,
      ttl: '30d',
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
    });
  }

  const container = await createContainer(config, logger, { databaseUrl });
  stops.unshift(() => container.dispose());
  const app = createApp(container);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  server.requestTimeout = 0; // large artifact uploads stream for as long as they need
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  logger.info({ url }, 'registry is listening');
  if (zeroConfigToken) {
    // Printed, never logged: the operator needs it once to call the API.
    process.stdout.write(
      `\nRegistry is ready at ${url}\nAdmin token (valid 30 days; mint more with \`npm run token -- --sub <user>\`):\n\n` +
        `  export MLFLOW_TRACKING_URI=${url}\n  export MLFLOW_TRACKING_TOKEN=${zeroConfigToken}\n\n`,
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeAllConnections();
    for (const stop of stops) await stop().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`registry failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
