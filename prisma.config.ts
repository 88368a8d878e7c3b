import path from 'node:path';
import { defineConfig } from 'prisma/config';
// adapter-pg 7 reads the `name` column type the schema engine queries (prisma issue 27403);
// it is only used by the CLI here, never by the service.
import { PrismaPg } from 'adapter-pg7';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: () => Promise.resolve(new PrismaPg({ connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' })),
});
