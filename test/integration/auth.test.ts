import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { type JwksServer, providerToken, rsaSigningKey, type SigningKey, startJwksServer, TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET, tokenFor } from '../helpers/tokens';

const PATH = '/api/2.0/mlflow/experiments/get?experiment_id=0';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: { export(o: { type: 'spki' | 'pkcs8'; format: 'pem' }): string | Buffer }, type: 'spki' | 'pkcs8') => String(k.export({ type, format: 'pem' }));
const now = () => Math.floor(Date.now() / 1000);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('JWT authentication (HS256 configuration)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ADMIN_USERS: 'root' });
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (auth?: string) => {
    const r = t.http.get(PATH);
    return auth === undefined ? r : r.set('Authorization', auth);
  };
  const sign = (claims: { exp?: number; groups?: string[] }, opts: jwt.SignOptions = {}, key: jwt.Secret = TEST_JWT_SECRET) =>
    jwt.sign(claims, key, { algorithm: 'HS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice', ...(claims.exp === undefined ? { expiresIn: '1h' } : {}), ...opts });

  it('accepts a valid token', async () => {
    await call(`Bearer ${tokenFor('alice')}`).expect(200);
  });

  it.each([
    ['no Authorization header', undefined],
    ['Basic credentials', `Basic ${Buffer.from('alice:pw').toString('base64')}`],
    ['an empty bearer', 'Bearer '],
    ['a malformed token', 'Bearer not.a.jwt'],
    ['a token with garbage header', `Bearer ${b64({ junk: true })}.${b64({ sub: 'alice' })}.sig`],
    ['alg none', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: now() + 600 })}.`],
    ['the wrong key', `Bearer ${sign({}, {}, 'another-secret-another-secret-another-secret')}`],
    ['an expired token', `Bearer ${sign({ exp: now() - 10 })}`],
    ['a token not yet valid', `Bearer ${sign({}, { notBefore: 3600 })}`],
    ['the wrong issuer', `Bearer ${sign({}, { issuer: 'evil' })}`],
    ['the wrong audience', `Bearer ${sign({}, { audience: 'other' })}`],
    ['no sub', `Bearer ${jwt.sign({}, TEST_JWT_SECRET, { algorithm: 'HS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, expiresIn: '1h' })}`],
    [
      'an RS256 token on an HS256 server',
      `Bearer ${jwt.sign({}, pem(rsa.privateKey, 'pkcs8'), { algorithm: 'RS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice', expiresIn: '1h' })}`,
    ],
    ['no exp', `Bearer ${jwt.sign({}, TEST_JWT_SECRET, { algorithm: 'HS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice' })}`],
    ['a lifetime over JWT_MAX_TTL', `Bearer ${sign({}, { expiresIn: '31d' })}`],
    ['a NUL in sub', `Bearer ${sign({}, { subject: 'ali\u0000ce' })}`],
    ['a lone surrogate in sub', `Bearer ${sign({}, { subject: 'alice\ud800' })}`],
    ['a control character in a group', `Bearer ${sign({ groups: ['ml\u0001'] })}`],
  ])('answers 401 UNAUTHENTICATED in MLflow format for %s', async (_name, auth) => {
    const res = await call(auth).expect(401);
    expect(res.body).toEqual({ error_code: 'UNAUTHENTICATED', message: expect.any(String) });
  });

  it('says why a token without exp or with a long lifetime is refused, and what the operator may change', async () => {
    const noExp = jwt.sign({}, TEST_JWT_SECRET, { algorithm: 'HS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice' });
    expect((await call(`Bearer ${noExp}`).expect(401)).body.message).toMatch(/no 'exp'.*JWT_ALLOW_NO_EXPIRY=true/);
    expect((await call(`Bearer ${sign({}, { expiresIn: '31d' })}`).expect(401)).body.message).toMatch(/longer than JWT_MAX_TTL \(30d\)/);
    await call(`Bearer ${sign({}, { expiresIn: '30d' })}`).expect(200);
  });

  it('refuses a NUL or a lone surrogate in sub before it reaches the database', async () => {
    for (const subject of ['ali\u0000ce', '\udc00alice']) {
      const res = await t.http
        .post('/api/2.0/mlflow/experiments/create')
        .set('Authorization', `Bearer ${sign({}, { subject })}`)
        .send({ name: `bad-sub-${subject.length}` });
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/'sub' claim contains control characters or invalid Unicode/);
    }
  });

  it('never answers /health and /version with 401', async () => {
    await t.http.get('/health').expect(200);
    await t.http.get('/version').expect(200);
  });

  it('makes ADMIN_USERS and roles:["admin"] admins, others not', async () => {
    const { body } = await t.as('owner').post('/api/2.0/mlflow/experiments/create', { name: 'admin-check' }).expect(200);
    await t.container.prisma.permissionGrant.create({
      data: { resourceType: 'experiment', resourceId: body.experiment_id, principalType: 'user', principal: 'root', level: 'NO_PERMISSIONS', createdAt: 0n },
    });
    await t.as('root', {}).post('/api/2.0/mlflow/experiments/delete', { experiment_id: body.experiment_id }).expect(200);
    await t.as('boss', { admin: true }).post('/api/2.0/mlflow/experiments/restore', { experiment_id: body.experiment_id }).expect(200);
    await t.as('nobody', {}).post('/api/2.0/mlflow/experiments/delete', { experiment_id: body.experiment_id }).expect(403);
  });
});

describe('JWT authentication (public key configuration)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET: '', JWT_PUBLIC_KEY: pem(rsa.publicKey, 'spki') });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts RS256 tokens signed by the private key', async () => {
    const token = jwt.sign({}, pem(rsa.privateKey, 'pkcs8'), { algorithm: 'RS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice', expiresIn: '1h' });
    await t.http.get(PATH).set('Authorization', `Bearer ${token}`).expect(200);
  });

  it('refuses HS256 tokens signed with the public key as the secret (algorithm confusion)', async () => {
    const forged = jwt.sign({}, pem(rsa.publicKey, 'spki'), { algorithm: 'HS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice', expiresIn: '1h' });
    expect((await t.http.get(PATH).set('Authorization', `Bearer ${forged}`).expect(401)).body.error_code).toBe('UNAUTHENTICATED');
  });
});

describe('JWT authentication (EC public key, JWT_AUDIENCE=*)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET: '', JWT_PUBLIC_KEY: pem(ec.publicKey, 'spki'), JWT_AUDIENCE: '*' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts ES256 tokens', async () => {
    const token = jwt.sign({}, pem(ec.privateKey, 'pkcs8'), { algorithm: 'ES256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice', expiresIn: '1h' });
    await t.http.get(PATH).set('Authorization', `Bearer ${token}`).expect(200);
  });

  it('checks no audience, as JWT_AUDIENCE=* asks', async () => {
    for (const aud of [{ audience: 'another-app' }, {}]) {
      const token = jwt.sign({}, pem(ec.privateKey, 'pkcs8'), { algorithm: 'ES256', issuer: TEST_ISSUER, subject: 'alice', expiresIn: '1h', ...aud });
      await t.http.get(PATH).set('Authorization', `Bearer ${token}`).expect(200);
    }
  });
});

describe('JWT authentication (JWT_ALLOW_NO_EXPIRY, JWT_MAX_TTL, ADMIN_ROLE)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_ALLOW_NO_EXPIRY: 'true', JWT_MAX_TTL: '1h', ADMIN_ROLE: 'registry-admin' });
  });
  afterAll(async () => {
    await t.close();
  });
  const token = (sub: string, claims: object, ttl?: jwt.SignOptions['expiresIn']) =>
    `Bearer ${jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: sub, ...(ttl ? { expiresIn: ttl } : {}) })}`;

  it('accepts a token without exp, and refuses one living longer than the cap, naming it', async () => {
    await t.http.get(PATH).set('Authorization', token('alice', {})).expect(200);
    await t.http
      .get(PATH)
      .set('Authorization', token('alice', {}, '1h'))
      .expect(200);
    const res = await t.http
      .get(PATH)
      .set('Authorization', token('alice', {}, '2h'))
      .expect(401);
    expect(res.body).toEqual({ error_code: 'UNAUTHENTICATED', message: expect.stringMatching(/JWT_MAX_TTL \(1h\)/) });
  });

  it('makes admins of the roles holding ADMIN_ROLE, and no longer of roles:["admin"]', async () => {
    const { body } = await t.http
      .post('/api/2.0/mlflow/experiments/create')
      .set('Authorization', token('owner', {}, '1h'))
      .send({ name: 'role-check' })
      .expect(200);
    const id = { experiment_id: body.experiment_id };
    await t.http
      .post('/api/2.0/mlflow/experiments/delete')
      .set('Authorization', token('pretender', { roles: ['admin'] }, '1h'))
      .send(id)
      .expect(403);
    await t.http
      .post('/api/2.0/mlflow/experiments/delete')
      .set('Authorization', token('boss', { roles: ['registry-admin'] }, '1h'))
      .send(id)
      .expect(200);
  });
});

describe('JWT authentication (JWT_JWKS_URL)', () => {
  let t: TestApp;
  let jwks: JwksServer;
  let key: SigningKey;
  beforeAll(async () => {
    [jwks, key] = await Promise.all([startJwksServer(), rsaSigningKey('key-2026-01')]);
    jwks.fail('down');
    t = await startTestApp({ JWT_SECRET: '', JWT_JWKS_URL: jwks.url });
  });
  afterAll(async () => {
    await t.close();
    await jwks.close();
  });

  it('answers 401 with a clear message, not 500, while the keys cannot be fetched', async () => {
    const auth = `Bearer ${await providerToken(key, 'alice')}`;
    for (const how of ['down', 503] as const) {
      jwks.fail(how);
      const res = await t.http.get(PATH).set('Authorization', auth).expect(401);
      expect(res.body).toEqual({ error_code: 'UNAUTHENTICATED', message: expect.stringMatching(/cannot fetch the signing keys from JWT_JWKS_URL/) });
    }
  });

  it('accepts tokens signed by a key of the set, chosen by kid, with the admin role claim', async () => {
    jwks.serve([key.jwk]);
    await t.http
      .get(PATH)
      .set('Authorization', `Bearer ${await providerToken(key, 'alice')}`)
      .expect(200);
    const owner = `Bearer ${await providerToken(key, 'owner')}`;
    const { body } = await t.http.post('/api/2.0/mlflow/experiments/create').set('Authorization', owner).send({ name: 'jwks-check' }).expect(200);
    const admin = `Bearer ${await providerToken(key, 'boss', { roles: ['admin'] })}`;
    await t.http.post('/api/2.0/mlflow/experiments/delete').set('Authorization', admin).send({ experiment_id: body.experiment_id }).expect(200);
    await t.http
      .get(PATH)
      .set('Authorization', `Bearer ${await providerToken(key, 'alice', {}, 'other-app')}`)
      .expect(401);
    await t.http
      .get(PATH)
      .set('Authorization', `Bearer ${tokenFor('alice')}`)
      .expect(401);
  });
});
