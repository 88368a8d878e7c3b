/** Values global-setup hands to every test file through the environment. */
export const TEST_ENV = {
  adminUrl: () => process.env.REGISTRY_TEST_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  template: () => required('REGISTRY_TEST_TEMPLATE'),
  dbPrefix: () => required('REGISTRY_TEST_DB_PREFIX'),
  s3Port: () => Number(required('REGISTRY_TEST_S3_PORT')),
};

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through jest (test/global-setup.ts sets it).`);
  return v;
}

export function databaseUrl(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}
