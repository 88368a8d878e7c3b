import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { type Config, formatDuration } from '../config';
import { RegistryError } from '../errors';
import { BoundedCache } from '../lib/bounded-cache';
import { hasLoneSurrogate } from '../lib/text';
import type { Principal } from './principal';

export interface TokenVerifier {
  /** The principal of a token verified before and still within its times: no signature check, no I/O. */
  known(token: string): Principal | undefined;
  /** The whole check: signature (fetching the identity provider's keys if needed), times, iss, aud, token policy. */
  verify(token: string): Promise<Principal>;
}

/** How the JWKS is fetched (jose's defaults: 5 s timeout, kept 10 min, refetched for an unknown kid at most every 30 s). */
export interface JwksOptions {
  timeoutMs?: number;
  cacheMaxAgeMs?: number;
  cooldownMs?: number;
}

// Subjects and groups end up in SQL text, grants and the audit log: PostgreSQL refuses NUL and
// invalid UTF-16 (a 500 later), and no identity provider issues such names on purpose.
const MAX_NAME_LENGTH = 256;
const MAX_GROUPS = 100;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const unprintable = (s: string) => CONTROL.test(s) || hasLoneSurrogate(s);

const refuse = (reason: string) => new RegistryError('UNAUTHENTICATED', `Invalid bearer token: ${reason}`);

/** HS256 with a shared secret, or RS256/ES256 with a public key and/or a JWKS: never both kinds, never `none`. */
export function createTokenVerifier(config: Config, jwksOptions: JwksOptions = {}, onCacheLookup?: (hit: boolean) => void): TokenVerifier {
  const { issuer, audience, allowNoExpiry, maxTtlSeconds } = config.jwt;
  const { key, algorithms } = signingKeys(config, jwksOptions);
  const admins = new Set(config.adminUsers);
  const adminRole = config.adminRole;
  // A token whose signature and claims checked out stays valid until its exp, also when the
  // identity provider later rotates its key: providers keep publishing the old key until the
  // tokens it signed have expired. Remembering it skips the signature check (a third of a cached
  // GET's CPU); its times are checked again on every use, and a token past them takes the whole check.
  const verified = new BoundedCache<string, { principal: Principal; exp?: number; nbf?: number }>(10_000);

  const principalOf = (payload: JWTPayload, now: number): Principal => {
    if (payload.exp === undefined) {
      if (!allowNoExpiry) {
        throw refuse("it has no 'exp' (expiry) claim, and tokens that never expire are refused (the operator may set JWT_ALLOW_NO_EXPIRY=true to accept them).");
      }
    } else {
      // From the earlier of iat and now: an iat in the future must not stretch the cap.
      const lifetime = payload.exp - Math.min(payload.iat ?? now, now);
      if (lifetime > maxTtlSeconds) {
        throw refuse(`its lifetime (${formatDuration(lifetime)}) is longer than JWT_MAX_TTL (${formatDuration(maxTtlSeconds)}); use a shorter-lived token.`);
      }
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0) throw refuse("it has no 'sub' claim.");
    if (sub.length > MAX_NAME_LENGTH) throw refuse(`its 'sub' claim is longer than ${MAX_NAME_LENGTH} characters.`);
    if (unprintable(sub)) throw refuse("its 'sub' claim contains control characters or invalid Unicode.");
    const groups = Array.isArray(payload.groups) ? payload.groups.filter((g): g is string => typeof g === 'string') : [];
    if (groups.length > MAX_GROUPS) throw refuse(`its 'groups' claim lists more than ${MAX_GROUPS} groups.`);
    if (groups.some((g) => g.length > MAX_NAME_LENGTH || unprintable(g))) {
      throw refuse(`its 'groups' claim has a group longer than ${MAX_NAME_LENGTH} characters or with control characters or invalid Unicode.`);
    }
    const roles: unknown[] = Array.isArray(payload.roles) ? payload.roles : [];
    return { subject: sub, groups, isAdmin: admins.has(sub) || (adminRole !== undefined && roles.includes(adminRole)) };
  };

  const full = async (token: string): Promise<Principal> => {
    // One clock for the cache and for jose: Date.now(), whole seconds.
    const nowMs = Date.now();
    let payload: JWTPayload;
    try {
      const options = { algorithms, issuer, audience, currentDate: new Date(nowMs) };
      ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
    } catch (err) {
      if (err instanceof KeysUnavailable) {
        throw new RegistryError(
          'UNAUTHENTICATED',
          `Cannot check the bearer token: cannot fetch the signing keys from JWT_JWKS_URL (${err.message}); try again, and if it persists the operator should check JWT_JWKS_URL.`,
        );
      }
      throw refuse(`${reasonOf(err)}.`);
    }
    const principal = principalOf(payload, Math.floor(nowMs / 1000));
    verified.set(token, { principal, exp: payload.exp, nbf: payload.nbf });
    return principal;
  };

  const cached = (token: string): Principal | undefined => {
    const entry = verified.get(token);
    if (!entry) return undefined;
    // jose's rule (and jsonwebtoken's): whole seconds, valid while now < exp and nbf <= now.
    const now = Math.floor(Date.now() / 1000);
    if ((entry.exp === undefined || now < entry.exp) && (entry.nbf === undefined || entry.nbf <= now)) return entry.principal;
    verified.delete(token);
    return undefined;
  };
  // Counted once per token presented: authenticate() asks known() and, on a miss, verify().
  const known = (token: string): Principal | undefined => {
    const principal = cached(token);
    onCacheLookup?.(principal !== undefined);
    return principal;
  };

  return { known, verify: async (token) => cached(token) ?? full(token) };
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf') return 'token not valid yet (nbf)';
  return err instanceof Error ? err.message.replace(/\.$/, '') : 'invalid';
}

/** The JWKS could not be fetched (nor answered from the last set fetched). */
class KeysUnavailable extends Error {}

/** The key (or key lookup) and the algorithms pinned to it. */
function signingKeys(config: Config, jwksOptions: JwksOptions): { key: KeyObject | JWTVerifyGetKey; algorithms: string[] } {
  const { secret, publicKey, jwksUrl } = config.jwt;
  if (!publicKey && !jwksUrl && !secret) throw new Error('No JWT key configured: set JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL.');
  // Keys are parsed once: parsing a PEM costs about 0.5 ms of CPU, more than the rest of a registry GET.
  if (!publicKey && !jwksUrl) return { key: createSecretKey(Buffer.from(secret!, 'utf8')), algorithms: ['HS256'] };
  const staticKey = publicKey ? parsePublicKey(publicKey) : undefined;
  if (!jwksUrl) return { key: staticKey!, algorithms: [algorithmOf(staticKey!)] };
  const remote = createRemoteJWKSet(new URL(jwksUrl), {
    timeoutDuration: jwksOptions.timeoutMs,
    cacheMaxAge: jwksOptions.cacheMaxAgeMs,
    cooldownDuration: jwksOptions.cooldownMs,
  });
  const fromJwks: JWTVerifyGetKey = async (header, input) => {
    try {
      // Selects by kid, and refetches the set once for a kid it does not hold (key rotation).
      return await remote(header, input);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      // Fetch failed: the set fetched last still holds the keys in use while the provider is unreachable.
      const last = remote.jwks();
      if (last) {
        try {
          return await createLocalJWKSet(last)(header, input);
        } catch {
          // not there either: the fetch failure is the reason
        }
      }
      throw new KeysUnavailable(describeFetchFailure(err));
    }
  };
  const key: JWTVerifyGetKey = !staticKey
    ? fromJwks
    : async (header, input) => {
        if (header.kid === undefined) return staticKey;
        try {
          return await fromJwks(header, input);
        } catch (err) {
          if (err instanceof errors.JWKSNoMatchingKey) return staticKey;
          throw err;
        }
      };
  return { key, algorithms: ['RS256', 'ES256'] };
}

/** Why the JWKS fetch failed, without the provider's address. */
function describeFetchFailure(err: unknown): string {
  if (err instanceof errors.JWKSTimeout) return 'timed out';
  if (err instanceof errors.JWKSInvalid) return 'the answer is not a JSON Web Key Set';
  if (err instanceof errors.JOSEError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'request failed';
}

function parsePublicKey(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`JWT_PUBLIC_KEY is not a PEM public key or certificate (${reason}): give the RS256/ES256 key the tokens are signed with.`);
  }
}

/** One algorithm per key: an RSA key verifies only RS256, a P-256 key only ES256. */
function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`JWT_PUBLIC_KEY is a ${key.asymmetricKeyType} key: give the RSA (RS256) or P-256 EC (ES256) key the tokens are signed with.`);
}

export function authenticate(verifier: TokenVerifier) {
  return (req: Request, _res: Response, next: NextFunction): void | Promise<void> => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new RegistryError('UNAUTHENTICATED', 'Missing bearer token: send "Authorization: Bearer <JWT>" (MLflow clients: set MLFLOW_TRACKING_TOKEN).');
    }
    // Most requests carry a token seen before: answered at once, without a promise.
    const token = match[1]!;
    const principal = verifier.known(token);
    if (principal) {
      req.principal = principal;
      return next();
    }
    // Express 5 passes a rejected promise to the error handler.
    return verifier.verify(token).then((p) => {
      req.principal = p;
      next();
    });
  };
}
