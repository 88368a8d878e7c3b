import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, TEST_ENV } from './env';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A database of this test file's own, cloned from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${TEST_ENV.dbPrefix()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_ENV.adminUrl() });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEST_ENV.template()}`);
        break;
      } catch (err) {
        // Two clones of one template at the same instant can collide; retry briefly.
        if (attempt >= 20 || !String(err).includes('being accessed by other users')) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  return {
    url: databaseUrl(TEST_ENV.adminUrl(), name),
    async drop() {
      const c = new Client({ connectionString: TEST_ENV.adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
