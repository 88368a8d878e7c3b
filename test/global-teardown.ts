import fs from 'node:fs';
import { Client } from 'pg';
import { TEST_ENV } from './helpers/env';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__registryTest as { s3: { close(): Promise<void> }; s3Dir: string; prefix: string } | undefined;
  if (!state) return;
  await state.s3.close();
  fs.rmSync(state.s3Dir, { recursive: true, force: true });
  const admin = new Client({ connectionString: TEST_ENV.adminUrl() });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${state.prefix}%`]);
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  await admin.end();
}
