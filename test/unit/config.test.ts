import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(5000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.defaultPermission).toBe('READ');
    expect(c.protectedAliases).toEqual(['production', 'champion']);
    expect(c.s3).toBeUndefined();
    expect(c.jwt.secret).toBeUndefined();
  });

  it('names every bad variable in one message', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', DEFAULT_PERMISSION: 'ALL' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', DEFAULT_PERMISSION: 'ALL' });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('DATABASE_URL');
      expect(msg).toContain('DEFAULT_PERMISSION');
    }
  });

  it('refuses a short JWT secret and both secret and public key at once', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(() =>
      loadConfig({ JWT_SECRET: 'x'.repeat(40), JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----' }),
    ).toThrow(/not both/);
    expect(() => loadConfig({ JWT_PUBLIC_KEY: 'not a pem' })).toThrow(/PEM/);
  });

  it('needs credentials with an S3 endpoint and falls back to the AWS variables', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(/S3_ACCESS_KEY/);
    const c = loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });
    expect(c.s3).toMatchObject({ endpoint: 'http://127.0.0.1:9000', bucket: 'mlflow', accessKey: 'a', secretKey: 'b' });
  });

  it('treats empty variables as unset and parses lists', () => {
    const c = loadConfig({ DATABASE_URL: '', S3_ENDPOINT: ' ', ADMIN_USERS: 'alice, bob,,', PROTECTED_ALIASES: 'Prod , gold' });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.s3).toBeUndefined();
    expect(c.adminUsers).toEqual(['alice', 'bob']);
    expect(c.protectedAliases).toEqual(['prod', 'gold']);
  });
});
