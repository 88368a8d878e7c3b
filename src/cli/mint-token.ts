#!/usr/bin/env node
// Signs a JWT for a user with the configured HS256 secret (JWT_SECRET, or DATA_DIR/jwt-secret).
// `npm run token -- ...` from a checkout; `registry-token ...` in the container image (Dockerfile).
import fs from 'node:fs';
import { formatDuration, parseDuration } from '../config';
import { mintToken, secretFile } from '../lib/tokens';
import { configOrExit, EXIT_USAGE, parseCommandLine, UsageError, withUsage } from './args';

const USAGE = [
  'usage: registry-token --sub <user> [--admin] [--groups a,b] [--ttl 12h]   (from a checkout: npm run token -- ...)',
  '  --sub      the user (sub claim)        --admin   an admin (roles claim holds ADMIN_ROLE)',
  '  --groups   comma-separated groups      --ttl     lifetime: 12h, 30d, 90m, 3600s or seconds (default 12h, at most JWT_MAX_TTL)',
  'Signs with JWT_SECRET, or DATA_DIR/jwt-secret; reads .env like the service.',
].join('\n');

const OPTIONS = {
  sub: { type: 'string' },
  admin: { type: 'boolean', default: false },
  groups: { type: 'string' },
  ttl: { type: 'string' },
} as const;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(EXIT_USAGE);
}

const { values } = withUsage(USAGE, () => {
  const parsed = parseCommandLine(process.argv.slice(2), OPTIONS);
  if (parsed !== 'help' && !parsed.values.sub) throw new UsageError('--sub <user> is required');
  return parsed;
});

// The service's own reading of the environment (and .env), so that the token minted is one it accepts.
const config = configOrExit();
if (config.jwt.publicKey || config.jwt.jwksUrl) {
  fail('JWT_PUBLIC_KEY or JWT_JWKS_URL is set: tokens come from your identity provider, which holds the private key.');
}
// Without --ttl: 12 hours, or JWT_MAX_TTL if that is shorter.
const ttl = values.ttl === undefined ? Math.min(12 * 3600, config.jwt.maxTtlSeconds) : parseDuration(values.ttl);
if (ttl === undefined) fail(`--ttl ${values.ttl} is not a duration: give one such as 12h, 30d, 90m, 3600s or a number of seconds.`);
if (ttl > config.jwt.maxTtlSeconds) {
  fail(`--ttl ${values.ttl} is longer than JWT_MAX_TTL (${formatDuration(config.jwt.maxTtlSeconds)}), so the service would refuse the token: give a shorter --ttl or raise JWT_MAX_TTL.`);
}
if (values.admin && !config.adminRole) {
  fail('ADMIN_ROLE is empty, so no role claim makes an admin: list the user in ADMIN_USERS instead of passing --admin.');
}
let secret = config.jwt.secret;
if (!secret) {
  const file = secretFile(config.dataDir);
  if (!fs.existsSync(file)) fail(`No JWT_SECRET and no ${file}: start the service once (npm start) or set JWT_SECRET.`);
  secret = fs.readFileSync(file, 'utf8').trim();
}
process.stdout.write(
  `${mintToken({
    secret,
    subject: values.sub!,
    adminRole: values.admin ? config.adminRole : undefined,
    groups: values.groups
      ?.split(',')
      .map((g) => g.trim())
      .filter(Boolean),
    ttl,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
  })}\n`,
);
