import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';
import jwt from 'jsonwebtoken';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';
export const TEST_ISSUER = 'registry-tests';
export const TEST_AUDIENCE = 'registry';

export interface TokenOptions {
  admin?: boolean;
  groups?: string[];
}

export function tokenFor(sub: string, o: TokenOptions = {}): string {
  return jwt.sign({ ...(o.admin ? { roles: ['admin'] } : {}), ...(o.groups ? { groups: o.groups } : {}) }, TEST_JWT_SECRET, {
    algorithm: 'HS256',
    subject: sub,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    expiresIn: '1h',
  });
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A JWKS endpoint on a free loopback port whose answer the test changes ('down' drops every connection). */
export async function startJwksServer() {
  let mode: 'up' | 'down' | number = 'up';
  let keys: JWK[] = [];
  let fetches = 0;
  const server = http.createServer((req, res) => {
    fetches += 1;
    if (mode === 'down') return req.socket.destroy();
    res.writeHead(mode === 'up' ? 200 : mode, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    serve(next: JWK[]) {
      keys = next;
      mode = 'up';
    },
    /** 'down', or the HTTP status to answer with. */
    fail(how: 'down' | number) {
      mode = how;
    },
    fetches: () => fetches,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type JwksServer = Awaited<ReturnType<typeof startJwksServer>>;

export interface SigningKey {
  kid: string;
  jwk: JWK;
  privateKey: KeyLike;
}

/** An RS256 key pair as an identity provider publishes it (kid, alg, use). */
export async function rsaSigningKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** A token as an identity provider issues it: RS256 with the key's kid, one hour. */
export function providerToken(key: Pick<SigningKey, 'kid' | 'privateKey'>, sub: string, claims: Record<string, unknown> = {}, aud = TEST_AUDIENCE): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setSubject(sub)
    .setIssuer(TEST_ISSUER)
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key.privateKey);
}
