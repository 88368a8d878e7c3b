import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET, tokenFor } from '../helpers/tokens';

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
  const sign = (claims: { exp?: number }, opts: jwt.SignOptions = {}, key: jwt.Secret = TEST_JWT_SECRET) =>
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
    ['an RS256 token on an HS256 server', `Bearer ${jwt.sign({}, pem(rsa.privateKey, 'pkcs8'), { algorithm: 'RS256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice', expiresIn: '1h' })}`],
  ])('answers 401 UNAUTHENTICATED in MLflow format for %s', async (_name, auth) => {
    const res = await call(auth).expect(401);
    expect(res.body).toEqual({ error_code: 'UNAUTHENTICATED', message: expect.any(String) });
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

describe('JWT authentication (EC public key)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET: '', JWT_PUBLIC_KEY: pem(ec.publicKey, 'spki') });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts ES256 tokens', async () => {
    const token = jwt.sign({}, pem(ec.privateKey, 'pkcs8'), { algorithm: 'ES256', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: 'alice', expiresIn: '1h' });
    await t.http.get(PATH).set('Authorization', `Bearer ${token}`).expect(200);
  });
});
