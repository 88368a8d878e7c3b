import { ConfigError, formatDuration, loadConfig, parseDuration } from '../../src/config';

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
    expect(c.jwt).toMatchObject({ jwksUrl: undefined, allowNoExpiry: false, maxTtlSeconds: 30 * 86_400, anyAudience: false });
    expect(c.adminRole).toBe('admin');
    expect(c.heapGrowingPercent).toBe(200);
  });

  it('takes HEAP_GROWING_PERCENT from 0 (V8 decides) to 1000 and refuses anything else naming it', () => {
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '50' }).heapGrowingPercent).toBe(50);
    for (const bad of ['-1', '1001', '1.5', 'lots']) expect(() => loadConfig({ HEAP_GROWING_PERCENT: bad })).toThrow(/HEAP_GROWING_PERCENT/);
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
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(40), JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----' })).toThrow(/not both/);
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

  describe('token policy', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----';

    it('parses JWT_MAX_TTL as 30d, 12h, 90m, 3600s or seconds, and refuses anything else naming it', () => {
      expect(loadConfig({ JWT_MAX_TTL: '12h' }).jwt.maxTtlSeconds).toBe(43_200);
      expect(loadConfig({ JWT_MAX_TTL: '3600s' }).jwt.maxTtlSeconds).toBe(3600);
      expect(loadConfig({ JWT_MAX_TTL: '3600' }).jwt.maxTtlSeconds).toBe(3600);
      expect(loadConfig({ JWT_MAX_TTL: ' 7D ' }).jwt.maxTtlSeconds).toBe(7 * 86_400);
      expect(loadConfig({ JWT_MAX_TTL: '' }).jwt.maxTtlSeconds).toBe(30 * 86_400);
      for (const bad of ['forever', '0', '-5', '1.5h', '2w']) {
        expect(() => loadConfig({ JWT_MAX_TTL: bad })).toThrow(/JWT_MAX_TTL: must be a duration such as 30d/);
      }
      expect(loadConfig({ JWT_ALLOW_NO_EXPIRY: 'true' }).jwt.allowNoExpiry).toBe(true);
    });

    it('shares one duration parser with npm run token', () => {
      expect(parseDuration('30d')).toBe(2_592_000);
      expect(parseDuration('90m')).toBe(5400);
      expect(parseDuration('1h30m')).toBeUndefined();
      expect(formatDuration(2_592_000)).toBe('30d');
      expect(formatDuration(5400)).toBe('90m');
      expect(formatDuration(3601)).toBe('3601s');
    });

    it('takes ADMIN_ROLE as given, and an empty one as no admin role', () => {
      expect(loadConfig({ ADMIN_ROLE: ' registry-admin ' }).adminRole).toBe('registry-admin');
      expect(loadConfig({ ADMIN_ROLE: '' }).adminRole).toBeUndefined();
    });

    it('requires JWT_AUDIENCE with a public key or JWKS, saying what to set; JWT_AUDIENCE=* opts out', () => {
      for (const env of [{ JWT_PUBLIC_KEY: pem }, { JWT_JWKS_URL: 'https://idp.example.com/jwks.json' }]) {
        expect(() => loadConfig(env)).toThrow(ConfigError);
        expect(() => loadConfig(env)).toThrow(/JWT_AUDIENCE is required with JWT_PUBLIC_KEY or JWT_JWKS_URL: set it to the audience .* or JWT_AUDIENCE=\*/);
        expect(loadConfig({ ...env, JWT_AUDIENCE: 'registry' }).jwt).toMatchObject({ audience: 'registry', anyAudience: false });
        expect(loadConfig({ ...env, JWT_AUDIENCE: '*' }).jwt).toMatchObject({ audience: undefined, anyAudience: true });
      }
      expect(loadConfig({ JWT_SECRET: 'x'.repeat(40) }).jwt.audience).toBeUndefined();
    });

    it('wants JWT_JWKS_URL over https (http only on localhost), and not beside JWT_SECRET', () => {
      const aud = { JWT_AUDIENCE: 'registry' };
      expect(loadConfig({ ...aud, JWT_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).jwt.jwksUrl).toBe('http://127.0.0.1:8080/jwks');
      expect(() => loadConfig({ ...aud, JWT_JWKS_URL: 'http://idp.example.com/jwks' })).toThrow(/JWT_JWKS_URL must use https/);
      expect(() => loadConfig({ ...aud, JWT_JWKS_URL: 'ftp://idp.example.com/jwks' })).toThrow(/JWT_JWKS_URL: must be the http\(s\) URL/);
      expect(() => loadConfig({ ...aud, JWT_JWKS_URL: 'not a url' })).toThrow(/JWT_JWKS_URL/);
      expect(() => loadConfig({ ...aud, JWT_JWKS_URL: 'https://idp.example.com/jwks', JWT_SECRET: 'x'.repeat(40) })).toThrow(/not both/);
      expect(loadConfig({ ...aud, JWT_JWKS_URL: 'https://idp.example.com/jwks', JWT_PUBLIC_KEY: pem }).jwt.publicKey).toBe(pem);
    });
  });
});
