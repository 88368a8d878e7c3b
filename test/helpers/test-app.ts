import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import request from 'supertest';
import { createApp } from '../../src/app';
import { createHttpServer } from '../../src/http/http-server';
import { loadConfig } from '../../src/config';
import { type Container, createContainer } from '../../src/container';
import { createLogger, type Logger } from '../../src/logger';
import { TEST_ENV } from './env';
import { createTestDatabase } from './test-db';
import { bearer, TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET, tokenFor } from './tokens';

export interface TestApp {
  container: Container;
  server: Server;
  baseUrl: string;
  /** supertest bound to the running server. */
  http: ReturnType<typeof request>;
  /** An authenticated JSON client for the given user (admin by default). */
  as(user?: string, opts?: { admin?: boolean; groups?: string[] }): ApiClient;
  close(): Promise<void>;
}

export interface ApiClient {
  token: string;
  get(path: string, query?: Record<string, unknown>): request.Test;
  post(path: string, body?: unknown): request.Test;
  patch(path: string, body?: unknown): request.Test;
  delete(path: string, body?: unknown): request.Test;
}

/** A real container and app on this test file's own database and S3 bucket. */
export async function startTestApp(
  env: Record<string, string> = {},
  options: {
    /** Where the app connects instead (e.g. through a proxy), given its database's URL. */
    connectVia?: (url: string) => string;
    /** The container's logger instead of one at LOG_LEVEL on stdout (e.g. to read the access log). */
    logger?: Logger;
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase();
  const connectUrl = options.connectVia?.(db.url) ?? db.url;
  const bucket = `t${Math.random().toString(36).slice(2, 12)}`;
  const dataDir = `/tmp/registry-test-${bucket}`;
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: connectUrl,
    DATABASE_POOL_SIZE: '5',
    S3_ENDPOINT: `http://127.0.0.1:${TEST_ENV.s3Port()}`,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY: 'S3RVER',
    S3_SECRET_KEY: 'S3RVER',
    ...env,
  });
  const container = await createContainer(config, options.logger ?? createLogger(config.logLevel), { databaseUrl: connectUrl });
  const app = createApp(container);
  const server = await new Promise<Server>((resolve) => {
    const s = createHttpServer(app).listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const http = request(server);
  const as = (user = 'admin', opts: { admin?: boolean; groups?: string[] } = { admin: user === 'admin' }): ApiClient => {
    const token = tokenFor(user, opts);
    const h = bearer(token);
    return {
      token,
      get: (path, query) =>
        http
          .get(path)
          .query(query ?? {})
          .set(h),
      post: (path, body) =>
        http
          .post(path)
          .set(h)
          .send(body ?? {}),
      patch: (path, body) =>
        http
          .patch(path)
          .set(h)
          .send(body ?? {}),
      delete: (path, body) =>
        http
          .delete(path)
          .set(h)
          .send(body ?? {}),
    };
  };
  return {
    container,
    server,
    baseUrl,
    http,
    as,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await container.dispose();
      await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
