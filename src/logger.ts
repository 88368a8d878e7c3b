import pino, { type DestinationStream, type Logger } from 'pino';

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

/** `destination`: stdout unless given (the tests read the log from a stream of their own). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'registry' } };
  return destination ? pino(options, destination) : pino(options);
}
