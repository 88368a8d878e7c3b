// Signs a JWT for a user with the configured HS256 secret (JWT_SECRET, or DATA_DIR/jwt-secret).
// npm run token -- --sub alice [--admin] [--groups a,b] [--ttl 1h]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, formatDuration, loadConfig, parseDuration } from '../src/config';
import { secretFile, mintToken } from '../src/lib/tokens';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    admin: { type: 'boolean', default: false },
    groups: { type: 'string' },
    ttl: { type: 'string' },
  },
});
if (!values.sub) {
  process.stderr.write('usage: npm run token -- --sub <user> [--admin] [--groups a,b] [--ttl 1h]\n');
  process.exit(2);
}
if (process.env.JWT_PUBLIC_KEY || process.env.JWT_JWKS_URL) {
  process.stderr.write('JWT_PUBLIC_KEY or JWT_JWKS_URL is set: tokens come from your identity provider, which holds the private key.\n');
  process.exit(2);
}
// The service's own reading of the environment, so that the token minted is one it accepts.
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
// Without --ttl: 12 hours, or JWT_MAX_TTL if that is shorter.
const ttl = values.ttl === undefined ? Math.min(12 * 3600, config.jwt.maxTtlSeconds) : parseDuration(values.ttl);
if (ttl === undefined) {
  process.stderr.write(`--ttl ${values.ttl} is not a duration: give one such as 12h, 30d, 90m, 3600s or a number of seconds.\n`);
  process.exit(2);
}
if (ttl > config.jwt.maxTtlSeconds) {
  process.stderr.write(
    `--ttl ${values.ttl} is longer than JWT_MAX_TTL (${formatDuration(config.jwt.maxTtlSeconds)}), so the service would refuse the token: give a shorter --ttl or raise JWT_MAX_TTL.\n`,
  );
  process.exit(2);
}
if (values.admin && !config.adminRole) {
  process.stderr.write('ADMIN_ROLE is empty, so no role claim makes an admin: list the user in ADMIN_USERS instead of passing --admin.\n');
  process.exit(2);
}
const dataDir = config.dataDir;
let secret = config.jwt.secret;
if (!secret) {
  if (!fs.existsSync(secretFile(dataDir))) {
    process.stderr.write(`No JWT_SECRET and no ${secretFile(dataDir)}: start the service once (npm start) or set JWT_SECRET.\n`);
    process.exit(2);
  }
  secret = fs.readFileSync(secretFile(dataDir), 'utf8').trim();
}
process.stdout.write(
  `${mintToken({
    secret,
    subject: values.sub,
    adminRole: values.admin ? config.adminRole : undefined,
    groups: values.groups?.split(',').map((g) => g.trim()).filter(Boolean),
    ttl,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
  })}\n`,
);
