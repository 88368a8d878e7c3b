import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';

export interface MintOptions {
  secret: string;
  subject: string;
  /** The role claim value that makes an admin (ADMIN_ROLE); the token carries it in `roles`. */
  adminRole?: string;
  groups?: string[];
  /** jsonwebtoken duration: "1h", "30d", or seconds. */
  ttl?: string | number;
  issuer?: string;
  audience?: string;
}

export function mintToken(o: MintOptions): string {
  const claims: Record<string, unknown> = {};
  if (o.adminRole) claims.roles = [o.adminRole];
  if (o.groups && o.groups.length > 0) claims.groups = o.groups;
  return jwt.sign(claims, o.secret, {
    algorithm: 'HS256',
    subject: o.subject,
    expiresIn: (o.ttl ?? '12h') as jwt.SignOptions['expiresIn'],
    ...(o.issuer ? { issuer: o.issuer } : {}),
    ...(o.audience ? { audience: o.audience } : {}),
  });
}

export const secretFile = (dataDir: string) => path.join(dataDir, 'jwt-secret');

/** The zero-config signing secret: generated once into DATA_DIR, reused on every restart. */
export function readOrCreateJwtSecret(dataDir: string): { secret: string; created: boolean } {
  const file = secretFile(dataDir);
  if (fs.existsSync(file)) return { secret: fs.readFileSync(file, 'utf8').trim(), created: false };
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return { secret, created: true };
}
