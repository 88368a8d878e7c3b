// Signs a JWT for a user with the configured HS256 secret (JWT_SECRET, or DATA_DIR/jwt-secret).
// npm run token -- --sub alice [--admin] [--groups a,b] [--ttl 1h]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { secretFile, mintToken } from '../src/lib/tokens';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    admin: { type: 'boolean', default: false },
    groups: { type: 'string' },
    ttl: { type: 'string', default: '12h' },
  },
});
if (!values.sub) {
  process.stderr.write('usage: npm run token -- --sub <user> [--admin] [--groups a,b] [--ttl 1h]\n');
  process.exit(2);
}
if (process.env.JWT_PUBLIC_KEY) {
  process.stderr.write('JWT_PUBLIC_KEY is set: tokens come from your identity provider, which holds the private key.\n');
  process.exit(2);
}
const dataDir = path.resolve(process.env.DATA_DIR ?? './data');
let secret = process.env.JWT_SECRET;
if (!secret) {
  if (!fs.existsSync(secretFile(dataDir))) {
    process.stderr.write(`No JWT_SECRET and no ${secretFile(dataDir)}: start the service once (npm start) or set JWT_SECRET.\n`);
    process.exit(2);
  }
  secret = fs.readFileSync(secretFile(dataDir), 'utf8').trim();
}
const ttl = /^\d+$/.test(values.ttl!) ? Number(values.ttl) : values.ttl!;
process.stdout.write(
  `${mintToken({
    secret,
    subject: values.sub,
    admin: values.admin,
    groups: values.groups?.split(',').map((g) => g.trim()).filter(Boolean),
    ttl,
    issuer: process.env.JWT_ISSUER || undefined,
    audience: process.env.JWT_AUDIENCE || undefined,
  })}\n`,
);
