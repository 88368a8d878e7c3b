import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../../src/config';
import { createTokenVerifier, type JwksOptions } from '../../src/http/authenticate';
import { type JwksServer, providerToken, rsaSigningKey, type SigningKey, startJwksServer } from '../helpers/tokens';

const secret = 's'.repeat(32);
const hs = (env: Record<string, string> = {}) => createTokenVerifier(loadConfig({ JWT_SECRET: secret, ...env }));
const now = () => Math.floor(Date.now() / 1000);
const refused = (pattern: RegExp) => ({ code: 'UNAUTHENTICATED', message: expect.stringMatching(pattern) });

describe('createTokenVerifier', () => {
  it('refuses at start a JWT_PUBLIC_KEY that is not a key, saying which variable is wrong', () => {
    const env = { JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----', JWT_AUDIENCE: 'registry' };
    expect(() => createTokenVerifier(loadConfig(env))).toThrow(/JWT_PUBLIC_KEY is not a PEM public key/);
  });

  it('refuses at start a public key that is neither RSA nor P-256', () => {
    const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => createTokenVerifier(loadConfig({ JWT_PUBLIC_KEY: pem, JWT_AUDIENCE: 'registry' }))).toThrow(/JWT_PUBLIC_KEY is a ed25519 key/);
  });

  it('verifies HS256 tokens with the secret parsed once, and still refuses a token signed with another secret', async () => {
    const verifier = hs();
    const token = jwt.sign({ groups: ['ml'] }, secret, { subject: 'alice', expiresIn: '1h' });
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'alice', groups: ['ml'], isAdmin: false });
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'alice', groups: ['ml'], isAdmin: false });
    await expect(verifier.verify(jwt.sign({}, 't'.repeat(32), { subject: 'alice', expiresIn: '1h' }))).rejects.toMatchObject(refused(/signature verification failed/));
  });

  it('accepts RS256 tokens against a PEM public key, and refuses HS256 tokens signed with that public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const verifier = createTokenVerifier(loadConfig({ JWT_PUBLIC_KEY: pem, JWT_AUDIENCE: 'registry' }));
    const opts = { subject: 'bob', audience: 'registry', expiresIn: '1h' } as const;
    expect((await verifier.verify(jwt.sign({}, privateKey, { algorithm: 'RS256', ...opts }))).subject).toBe('bob');
    await expect(verifier.verify(jwt.sign({}, pem, { algorithm: 'HS256', ...opts }))).rejects.toMatchObject(refused(/not allowed/));
    await expect(verifier.verify(jwt.sign({}, privateKey, { algorithm: 'RS256', ...opts, audience: 'other' }))).rejects.toMatchObject(refused(/aud/));
  });

  it('checks no audience with JWT_AUDIENCE=*', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const verifier = createTokenVerifier(loadConfig({ JWT_PUBLIC_KEY: pem, JWT_AUDIENCE: '*' }));
    for (const audience of [{ audience: 'anything' }, {}]) {
      const token = jwt.sign({}, privateKey, { algorithm: 'ES256', subject: 'bob', expiresIn: '1h', ...audience });
      expect((await verifier.verify(token)).subject).toBe('bob');
    }
  });

  describe('token policy', () => {
    it('refuses a token without exp, naming JWT_ALLOW_NO_EXPIRY, and accepts it when that is set', async () => {
      const forever = jwt.sign({}, secret, { subject: 'alice' });
      await expect(hs().verify(forever)).rejects.toMatchObject(refused(/no 'exp'.*JWT_ALLOW_NO_EXPIRY=true/));
      expect((await hs({ JWT_ALLOW_NO_EXPIRY: 'true' }).verify(forever)).subject).toBe('alice');
    });

    it('refuses a lifetime over JWT_MAX_TTL (default 30d), measured from iat, or from now without iat', async () => {
      const verifier = hs();
      expect((await verifier.verify(jwt.sign({}, secret, { subject: 'a', expiresIn: '30d' }))).subject).toBe('a');
      await expect(verifier.verify(jwt.sign({}, secret, { subject: 'a', expiresIn: '31d' }))).rejects.toMatchObject(refused(/lifetime \(31d\) is longer than JWT_MAX_TTL \(30d\)/));

      const hour = hs({ JWT_MAX_TTL: '3600s' });
      expect((await hour.verify(jwt.sign({}, secret, { subject: 'a', expiresIn: 3600 }))).subject).toBe('a');
      await expect(hour.verify(jwt.sign({}, secret, { subject: 'a', expiresIn: '2h' }))).rejects.toMatchObject(refused(/JWT_MAX_TTL \(1h\)/));
      const noIat = jwt.sign({ exp: now() + 7200 }, secret, { subject: 'a', noTimestamp: true });
      await expect(hour.verify(noIat)).rejects.toMatchObject(refused(/JWT_MAX_TTL/));
      // An iat in the future does not shorten the lifetime that is left.
      const lateIat = jwt.sign({ iat: now() + 300 * 86_400, exp: now() + 300 * 86_400 + 60 }, secret, { subject: 'a' });
      await expect(hour.verify(lateIat)).rejects.toMatchObject(refused(/JWT_MAX_TTL/));
    });

    it('makes admins of roles holding ADMIN_ROLE (default "admin"); ADMIN_ROLE= (empty) turns roles off', async () => {
      const roles = (r: string[], sub = 'u') => jwt.sign({ roles: r }, secret, { subject: sub, expiresIn: '1h' });
      expect((await hs().verify(roles(['admin']))).isAdmin).toBe(true);
      const custom = hs({ ADMIN_ROLE: 'registry-admin' });
      expect((await custom.verify(roles(['registry-admin']))).isAdmin).toBe(true);
      expect((await custom.verify(roles(['admin']))).isAdmin).toBe(false);
      const off = hs({ ADMIN_ROLE: '', ADMIN_USERS: 'root' });
      expect((await off.verify(roles(['admin']))).isAdmin).toBe(false);
      expect((await off.verify(roles([''], 'root'))).isAdmin).toBe(true);
      expect((await off.verify(roles(['']))).isAdmin).toBe(false);
    });

    it.each([
      ['a NUL in sub', { sub: 'ali\u0000ce' }],
      ['a control character in sub', { sub: 'ali\u001bce' }],
      ['a C1 control character in sub', { sub: 'ali\u0085ce' }],
      ['a lone high surrogate in sub', { sub: 'alice\ud800' }],
      ['a lone low surrogate in sub', { sub: '\udc00alice' }],
      ['a sub over 256 characters', { sub: 'a'.repeat(257) }],
      ['a NUL in a group', { sub: 'alice', groups: ['ml', 'o\u0000ps'] }],
      ['a lone surrogate in a group', { sub: 'alice', groups: ['\ud83d'] }],
      ['more than 100 groups', { sub: 'alice', groups: Array.from({ length: 101 }, (_, i) => `g${i}`) }],
    ])('refuses %s with 401', async (_name, claims) => {
      await expect(hs().verify(jwt.sign(claims, secret, { expiresIn: '1h' }))).rejects.toMatchObject(refused(/'(sub|groups)' claim/));
    });

    it('accepts names with characters outside the BMP and at the length limits', async () => {
      const claims = { sub: `🙂${'a'.repeat(254)}`, groups: Array.from({ length: 100 }, (_, i) => `g${i}🙂`) };
      expect(await hs().verify(jwt.sign(claims, secret, { expiresIn: '1h' }))).toMatchObject({ subject: claims.sub, groups: claims.groups });
    });
  });

  describe('a token verified once', () => {
    afterEach(() => jest.restoreAllMocks());

    it('is known without another check while it is valid, and only once verified', async () => {
      const verifier = hs();
      const token = jwt.sign({}, secret, { subject: 'carol', expiresIn: '1h' });
      expect(verifier.known(token)).toBeUndefined();
      expect((await verifier.verify(token)).subject).toBe('carol');
      expect(verifier.known(token)?.subject).toBe('carol');
    });

    it('is refused once it expires, and is not accepted before its nbf', async () => {
      const t0 = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(t0);
      const verifier = hs();
      const token = jwt.sign({ iat: Math.floor(t0 / 1000) }, secret, { subject: 'dave', expiresIn: 60 });
      expect((await verifier.verify(token)).subject).toBe('dave');
      clock.mockReturnValue(t0 + 61_000);
      expect(verifier.known(token)).toBeUndefined();
      await expect(verifier.verify(token)).rejects.toMatchObject(refused(/token expired/));

      clock.mockReturnValue(t0);
      const later = jwt.sign({ iat: Math.floor(t0 / 1000), nbf: Math.floor(t0 / 1000) + 30 }, secret, { subject: 'erin', expiresIn: 3600 });
      await expect(verifier.verify(later)).rejects.toMatchObject(refused(/not valid yet/));
      clock.mockReturnValue(t0 + 31_000);
      expect((await verifier.verify(later)).subject).toBe('erin');
      clock.mockReturnValue(t0 - 5_000); // a clock stepped back: the remembered token is checked again
      expect(verifier.known(later)).toBeUndefined();
      await expect(verifier.verify(later)).rejects.toMatchObject(refused(/not valid yet/));
    });

    it('is remembered only when valid: a bad signature is refused every time', async () => {
      const verifier = hs();
      const forged = jwt.sign({}, 't'.repeat(32), { subject: 'mallory', expiresIn: '1h' });
      await expect(verifier.verify(forged)).rejects.toMatchObject(refused(/signature verification failed/));
      expect(verifier.known(forged)).toBeUndefined();
      await expect(verifier.verify(forged)).rejects.toMatchObject(refused(/signature verification failed/));
    });
  });
});

const signed = (key: Pick<SigningKey, 'kid' | 'privateKey'>, sub: string, aud?: string) => providerToken(key, sub, {}, aud);

describe('createTokenVerifier with JWT_JWKS_URL', () => {
  let jwks: JwksServer;
  let k1: SigningKey;
  let k2: SigningKey;
  const verifierFor = (options: JwksOptions = {}, env: Record<string, string> = {}) => createTokenVerifier(loadConfig({ JWT_JWKS_URL: jwks.url, JWT_AUDIENCE: 'registry', ...env }), options);

  beforeAll(async () => {
    [k1, k2] = await Promise.all([rsaSigningKey('k1'), rsaSigningKey('k2')]);
  });
  beforeEach(async () => {
    jwks = await startJwksServer();
    jwks.serve([k1.jwk]);
  });
  afterEach(async () => {
    await jwks.close();
  });

  it('verifies a token by its kid, fetching the set once for many tokens', async () => {
    const verifier = verifierFor();
    expect((await verifier.verify(await signed(k1, 'alice'))).subject).toBe('alice');
    expect((await verifier.verify(await signed(k1, 'bob'))).subject).toBe('bob');
    expect(jwks.fetches()).toBe(1);
    await expect(verifier.verify(await signed(k1, 'alice', 'other-app'))).rejects.toMatchObject(refused(/aud/));
    const forged = await signed({ kid: 'k1', privateKey: k2.privateKey }, 'mallory');
    await expect(verifier.verify(forged)).rejects.toMatchObject(refused(/signature verification failed/));
    const hs256 = jwt.sign({}, secret, { subject: 'alice', audience: 'registry', expiresIn: '1h', keyid: 'k1' });
    await expect(verifier.verify(hs256)).rejects.toMatchObject(refused(/not allowed/));
  });

  it('picks up a rotated key: a kid it does not hold makes it fetch the set again', async () => {
    const verifier = verifierFor({ cooldownMs: 0 });
    expect((await verifier.verify(await signed(k1, 'alice'))).subject).toBe('alice');
    jwks.serve([k2.jwk]);
    expect((await verifier.verify(await signed(k2, 'alice'))).subject).toBe('alice');
    expect(jwks.fetches()).toBe(2);
    await expect(verifier.verify(await signed({ ...k2, kid: 'unknown' }, 'alice'))).rejects.toMatchObject(refused(/no applicable key/));
  });

  it('answers 401 saying the signing keys cannot be fetched when the JWKS server is down or failing', async () => {
    const token = await signed(k1, 'alice');
    jwks.fail('down');
    await expect(verifierFor().verify(token)).rejects.toMatchObject(refused(/cannot fetch the signing keys from JWT_JWKS_URL \(ECONNRESET\)/));
    jwks.fail(503);
    await expect(verifierFor().verify(token)).rejects.toMatchObject(refused(/cannot fetch the signing keys from JWT_JWKS_URL \(Expected 200 OK/));
    await jwks.close();
    const err = await verifierFor()
      .verify(token)
      .catch((e: unknown) => e);
    expect(err).toMatchObject(refused(/cannot fetch the signing keys from JWT_JWKS_URL \(ECONNREFUSED\)/));
    expect((err as Error).message).not.toContain('127.0.0.1');
  });

  it('keeps the keys it fetched last while the JWKS server is unreachable', async () => {
    const verifier = verifierFor({ cacheMaxAgeMs: 1 });
    expect((await verifier.verify(await signed(k1, 'alice'))).subject).toBe('alice');
    await jwks.close();
    await new Promise((r) => setTimeout(r, 5));
    expect((await verifier.verify(await signed(k1, 'bob'))).subject).toBe('bob');
    await expect(verifier.verify(await signed(k2, 'bob'))).rejects.toMatchObject(refused(/cannot fetch the signing keys/));
  });

  it('checks tokens without a kid against JWT_PUBLIC_KEY beside the JWKS', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const verifier = verifierFor({}, { JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const noKid = jwt.sign({}, privateKey, { algorithm: 'RS256', subject: 'static', audience: 'registry', expiresIn: '1h' });
    expect((await verifier.verify(noKid)).subject).toBe('static');
    expect((await verifier.verify(await signed(k1, 'alice'))).subject).toBe('alice');
  });
});
