import pino, { type Logger } from 'pino';

export type { Logger };

/** Tokens and secrets never reach the log: these paths are censored wherever they appear. */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'config.jwt.secret',
  'config.s3.secretKey',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'registry' } });
}
