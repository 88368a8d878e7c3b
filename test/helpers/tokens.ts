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
