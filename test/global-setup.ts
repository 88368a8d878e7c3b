import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '../src/db/migrate';
import { databaseUrl, TEST_ENV } from './helpers/env';
import { startS3TestServer } from './helpers/s3-test-server';

/**
 * Once per jest run: migrate a template database (each test file clones it) and start the
 * S3-protocol test server (s3rver), which test files use through the real minio client.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const prefix = `registry_t_${runId}`;
  const template = `${prefix}_tpl`;
  const admin = new Client({ connectionString: TEST_ENV.adminUrl() });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`Cannot reach PostgreSQL at ${TEST_ENV.adminUrl()} (${String(err)}). Start it (see README) or set REGISTRY_TEST_ADMIN_URL.`);
  }
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await applyMigrations(databaseUrl(TEST_ENV.adminUrl(), template));

  const s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-s3-'));
  const { s3, port } = await startS3TestServer(s3Dir);

  process.env.REGISTRY_TEST_TEMPLATE = template;
  process.env.REGISTRY_TEST_DB_PREFIX = prefix;
  process.env.REGISTRY_TEST_S3_PORT = String(port);
  (globalThis as Record<string, unknown>).__registryTest = { s3, s3Dir, prefix };
}
