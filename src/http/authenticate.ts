import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import jwt, { type Algorithm, type JwtPayload } from 'jsonwebtoken';
import type { Config } from '../config';
import { RegistryError } from '../errors';
import { BoundedCache } from '../lib/bounded-cache';
import type { Principal } from './principal';

export interface TokenVerifier {
  verify(token: string): Principal;
}

/** HS256 with a shared secret, or RS256/ES256 with a public key: never both, never `none`. */
export function createTokenVerifier(config: Config): TokenVerifier {
  const { secret, publicKey, issuer, audience } = config.jwt;
  if (!publicKey && !secret) throw new Error('No JWT key configured: set JWT_SECRET or JWT_PUBLIC_KEY.');
  // Parsed once: given a string, jsonwebtoken parses the key again on every call (about 0.5 ms of CPU,
  // more than the rest of a registry GET).
  const key: KeyObject = publicKey ? parsePublicKey(publicKey) : createSecretKey(Buffer.from(secret!, 'utf8'));
  const algorithms: Algorithm[] = publicKey ? ['RS256', 'ES256'] : ['HS256'];
  const admins = new Set(config.adminUsers);
  // A token whose signature and claims checked out stays valid until its exp: the key is fixed for
  // the process. Remembering it skips the signature check (a third of a cached GET's CPU); the
  // times are checked again on every use, and a token past them goes through jwt.verify for its error.
  const verified = new BoundedCache<string, { principal: Principal; exp?: number; nbf?: number }>(10_000);
  const full = (token: string): Principal => {
    let payload: string | JwtPayload;
    try {
      payload = jwt.verify(token, key, { algorithms, issuer, audience });
    } catch (err) {
      const reason = err instanceof jwt.TokenExpiredError ? 'token expired' : err instanceof Error ? err.message : 'invalid';
      throw new RegistryError('UNAUTHENTICATED', `Invalid bearer token: ${reason}.`);
    }
    if (typeof payload !== 'object' || typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new RegistryError('UNAUTHENTICATED', "Invalid bearer token: it has no 'sub' claim.");
    }
    const groups = Array.isArray(payload.groups) ? payload.groups.filter((g): g is string => typeof g === 'string') : [];
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    const principal = { subject: payload.sub, groups, isAdmin: admins.has(payload.sub) || roles.includes('admin') };
    verified.set(token, { principal, exp: payload.exp, nbf: payload.nbf });
    return principal;
  };
  return {
    verify(token: string): Principal {
      const known = verified.get(token);
      if (known) {
        // jsonwebtoken's own rule: whole seconds, valid while now < exp and nbf <= now.
        const now = Math.floor(Date.now() / 1000);
        if ((known.exp === undefined || now < known.exp) && (known.nbf === undefined || known.nbf <= now)) return known.principal;
        verified.delete(token);
      }
      return full(token);
    },
  };
}

function parsePublicKey(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`JWT_PUBLIC_KEY is not a PEM public key or certificate (${reason}): give the RS256/ES256 key the tokens are signed with.`);
  }
}

export function authenticate(verifier: TokenVerifier) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new RegistryError(
        'UNAUTHENTICATED',
        'Missing bearer token: send "Authorization: Bearer <JWT>" (MLflow clients: set MLFLOW_TRACKING_TOKEN).',
      );
    }
    req.principal = verifier.verify(match[1]!);
    next();
  };
}
