// Generates the Prisma client at install time without downloading engines (TOOLCHAIN.md):
// the client uses the query compiler (engineType = "client") and the pg driver adapter.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'node_modules', 'prisma', 'build', 'index.js');
execFileSync(process.execPath, [cli, 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false',
    PRISMA_QUERY_ENGINE_LIBRARY: '/bin/false',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    DATABASE_URL: process.env.DATABASE_URL || 'postgresql://localhost/unused',
  },
});
